import test from 'ava';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import { tempDir } from './helpers/files.js';

// PNG/JPEG images in class folders and what keras.utils.image_dataset_from_directory returns on
// them: scripts/fixtures/keras_image_dataset.py.
const IMAGES = fileURLToPath(new URL('./fixtures/images/', import.meta.url));
const keras = JSON.parse(readFileSync(new URL('./fixtures/keras_image_dataset.json', import.meta.url), 'utf8'));

function camelCase(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).map(([key, value]) => [key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), value]));
}

const relative = (paths: string[]) => paths.map((p) => p.slice(IMAGES.length).replace(/^\//, ''));

test('imageDatasetFromDirectory matches keras.utils.image_dataset_from_directory', async (t) => {
  for (const expected of keras.cases) {
    const what = JSON.stringify(expected.options);
    const dataset = await kiln.utils.imageDatasetFromDirectory(IMAGES, { ...camelCase(expected.options), verbose: false });
    t.deepEqual(dataset.classNames, expected.classNames, what);
    t.deepEqual(relative(dataset.filePaths), expected.filePaths, what);
    t.is(dataset.cardinality(), expected.batches.length);
    const batches = await dataset.toArray();
    t.is(batches.length, expected.batches.length);
    batches.forEach((batch, b) => {
      const [x, y] = batch as kiln.Tensor[];
      const [wantX, wantY] = expected.batches[b];
      t.deepEqual(y.toArray(), wantY, `${what} labels of batch ${b}`);
      t.deepEqual(x.shape, [wantY.length, ...expected.options.image_size, expected.options.color_mode === 'grayscale' ? 1 : 3]);
      const got = x.dataSync();
      const want = (wantX as number[]).flat(3);
      // PNG pixels resize exactly. JPEG decoders differ: TensorFlow's default inverse DCT is
      // libjpeg's fast integer one, jpeg-js's is exact, a few levels apart. Grayscale conversion
      // may round differently by one.
      const isJpeg = (i: number) => dataset.filePaths[b * (expected.options.batch_size as number) + Math.floor(i / (got.length / wantY.length))].endsWith('.jpg');
      let worstPng = 0;
      let worstJpeg = 0;
      want.forEach((v, i) => {
        const difference = Math.abs(got[i] - v);
        if (isJpeg(i)) worstJpeg = Math.max(worstJpeg, difference);
        else worstPng = Math.max(worstPng, difference);
      });
      t.true(worstPng <= (expected.options.color_mode === 'grayscale' ? 1.01 : 1e-3), `${what} batch ${b}: PNG pixels differ by ${worstPng}`);
      t.true(worstJpeg <= 6, `${what} batch ${b}: JPEG pixels differ by ${worstJpeg}`);
    });
  }
});

test('imageDatasetFromDirectory splits training and validation files as Keras does for a seed', async (t) => {
  const { seed, validationSplit, train, validation } = keras.split;
  const [training, validating] = await kiln.utils.imageDatasetFromDirectory(IMAGES, { imageSize: [4, 4], validationSplit, subset: 'both', seed, verbose: false });
  t.deepEqual(relative(training.filePaths), train);
  t.deepEqual(relative(validating.filePaths), validation);
  const alone = await kiln.data.imageDatasetFromDirectory(IMAGES, { imageSize: [4, 4], validationSplit, subset: 'validation', seed, verbose: false });
  t.deepEqual(relative(alone.filePaths), validation);
  // Training batches come in a new order each epoch; the labels follow their images.
  const labelsByFile = new Map(training.filePaths.map((path) => [path, path.includes('/cats/') ? 0 : 1]));
  const epoch1 = (await training.toArray())[0] as kiln.Tensor[];
  t.deepEqual(
    Array.from(epoch1[1].dataSync()),
    training.filePaths.map((p) => labelsByFile.get(p)),
  );
  t.deepEqual(epoch1[0].shape, [6, 4, 4, 3]);
  await t.throwsAsync(kiln.utils.imageDatasetFromDirectory(IMAGES, { validationSplit: 0.2, subset: 'training' }), { instanceOf: kiln.ValueError, message: /you must provide a `seed` argument/ });
  await t.throwsAsync(kiln.utils.imageDatasetFromDirectory(IMAGES, { validationSplit: 0.2 }), {
    instanceOf: kiln.ValueError,
    message: /If `subset` is set, `validationSplit` must be set, and inversely/,
  });
  await t.throwsAsync(kiln.utils.imageDatasetFromDirectory(IMAGES, { labelMode: 'sparse' as 'int' }), { instanceOf: kiln.ValueError, message: /`labelMode` argument must be one of/ });
  await t.throwsAsync(kiln.utils.imageDatasetFromDirectory(IMAGES, { classNames: ['cats', 'birds'] }), { instanceOf: kiln.ValueError, message: /did not match the names of the subdirectories/ });
});

test('an image dataset trains a small CNN through fit, and a broken image names its file', async (t) => {
  const dir = await tempDir();
  // Two classes a CNN separates easily: dark and bright noisy squares.
  const { PNG } = (await import('pngjs')).default;
  for (const [name, base] of [
    ['dark', 40],
    ['bright', 200],
  ] as const) {
    await mkdir(join(dir, name));
    for (let i = 0; i < 12; i++) {
      const png = new PNG({ width: 10, height: 10 });
      for (let p = 0; p < 100; p++) {
        const v = base + ((p * 37 + i * 11) % 30) - 15;
        png.data.set([v, v, v, 255], p * 4);
      }
      await writeFile(join(dir, name, `${i}.png`), PNG.sync.write(png));
    }
  }
  kiln.setSeed(2);
  const dataset = await kiln.utils.imageDatasetFromDirectory(dir, { imageSize: [8, 8], batchSize: 6, seed: 1, verbose: false });
  t.deepEqual(dataset.classNames, ['bright', 'dark']);
  const model = new kiln.Sequential([new kiln.layers.Conv2D(4, 3, { inputShape: [8, 8, 3], activation: 'relu' }), new kiln.layers.Flatten(), new kiln.layers.Dense(2, { activation: 'softmax' })]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await model.fit(
    dataset.map((x, y) => [x.div(255), y]),
    { epochs: 20, verbose: 0 },
  );
  const [, accuracy] = await model.evaluate(
    dataset.map((x, y) => [x.div(255), y]),
    { verbose: 0 },
  );
  t.is(accuracy, 1);

  await writeFile(join(dir, 'dark', '99.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  await copyFile(join(IMAGES, 'cats', 'cats_0.png'), join(dir, 'dark', '98.png'));
  const broken = await kiln.utils.imageDatasetFromDirectory(dir, { imageSize: [8, 8], shuffle: false, verbose: false });
  const error = await t.throwsAsync(broken.toArray(), { instanceOf: kiln.FileFormatError });
  t.regex(error!.message, /dark\/99\.png is not a valid image/);
});

test('Dataset.fromCsv streams rows, selects columns and splits off the label', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'houses.csv');
  await writeFile(path, 'rooms,age,"price, k$",id\n3,10,250.5,1\n4,"2",300,2\n\n2,35,120.25,3\n');
  const rows = kiln.data.Dataset.fromCsv(path, { labelName: 'price, k$', selectColumns: ['rooms', 'age'] });
  const elements = (await rows.toArray()) as kiln.Tensor[][];
  t.deepEqual(
    elements.map(([x, y]) => [x.toArray(), y.toArray()]),
    [
      [[3, 10], 250.5],
      [[4, 2], 300],
      [[2, 35], 120.25],
    ],
  );
  t.is(elements[0][1].dtype, 'float32');
  const all = await kiln.data.Dataset.fromCsv(path).batch(2).toArray();
  t.deepEqual((all[0] as kiln.Tensor).toArray(), [
    [3, 10, 250.5, 1],
    [4, 2, 300, 2],
  ]);
  const byIndex = await kiln.data.Dataset.fromCsv(path, { labelName: 3, labelDtype: 'int32' }).batch(3).toArray();
  t.deepEqual((byIndex[0] as kiln.Tensor[])[1].toArray(), [1, 2, 3]);
  t.is((byIndex[0] as kiln.Tensor[])[1].dtype, 'int32');
  const headerless = join(dir, 'plain.tsv');
  await writeFile(headerless, '1\t2\n3\t4\n');
  t.deepEqual(
    (await kiln.data.Dataset.fromCsv(headerless, { header: false, fieldDelim: '\t', labelName: 0 }).toArray()).map((e) => (e as kiln.Tensor[]).map((p) => p.toArray())),
    [
      [[2], 1],
      [[4], 3],
    ],
  );

  const bad = join(dir, 'bad.csv');
  await writeFile(bad, 'a,b\n1,2\n3,oops\n');
  await t.throwsAsync(kiln.data.Dataset.fromCsv(bad).toArray(), { instanceOf: kiln.FileFormatError, message: /bad\.csv, line 3: column "b" holds "oops", not a number/ });
  await writeFile(bad, 'a,b\n1,2\n3,4,5\n');
  await t.throwsAsync(kiln.data.Dataset.fromCsv(bad).toArray(), { instanceOf: kiln.FileFormatError, message: /bad\.csv is not a valid CSV file/ });
  await t.throwsAsync(kiln.data.Dataset.fromCsv(join(dir, 'missing.csv')).toArray(), { instanceOf: kiln.FileFormatError, message: /missing\.csv does not exist/ });
  await t.throwsAsync(kiln.data.Dataset.fromCsv(path, { labelName: 'cost' }).toArray(), {
    instanceOf: kiln.ValueError,
    message: /labelName "cost" is not a column; the columns are rooms, age, price, k\$, id/,
  });
});
