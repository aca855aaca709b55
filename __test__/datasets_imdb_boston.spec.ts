import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import { CLOSED_PORT_URL, tempDir, withEnv } from './helpers/files.js';
import { npzFile } from './helpers/npz.js';
import { objectArrayNpy } from './helpers/pickle.js';

// imdb.npz (object arrays, as numpy saves them), imdb_word_index.json, boston_housing.npz and
// what Keras' loaders return on them: scripts/fixtures/keras_datasets.py.
const FIXTURES = fileURLToPath(new URL('./fixtures/datasets/', import.meta.url));
const keras = JSON.parse(readFileSync(new URL('./fixtures/keras_datasets.json', import.meta.url), 'utf8'));
// numpy's RandomState(113).shuffle(arange(10)), from scripts/fixtures/keras_data_utils.py.
const SHUFFLE_10 = JSON.parse(readFileSync(new URL('./fixtures/keras_data_utils.json', import.meta.url), 'utf8')).numpyShuffle.find((c: { n: number; seed: number }) => c.n === 10 && c.seed === 113)
  .permutation as number[];

/** Keras' snake_case options, as kiln's camelCase ones. */
function camelCase(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).map(([key, value]) => [key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), value]));
}

test('imdb.loadData gives the reviews and labels of keras.datasets.imdb for each option', async (t) => {
  const path = join(FIXTURES, 'imdb.npz');
  for (const expected of keras.imdb) {
    const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.imdb.loadData({ path, ...camelCase(expected.options) });
    const what = JSON.stringify(expected.options);
    t.deepEqual(xTrain, expected.xTrain, `${what} xTrain`);
    t.deepEqual(xTest, expected.xTest, `${what} xTest`);
    t.is(yTrain.dtype, 'int32', 'Keras gives int64 labels; kiln has no 64-bit integers');
    t.deepEqual(yTrain.shape, [expected.yTrain.length]);
    t.deepEqual(Array.from(yTrain.dataSync()), expected.yTrain, `${what} yTrain`);
    t.deepEqual(Array.from(yTest.dataSync()), expected.yTest, `${what} yTest`);
  }
  await t.throwsAsync(kiln.datasets.imdb.loadData({ path, maxlen: 2 }), { instanceOf: kiln.ValueError, message: /no sequence was kept.*Increase maxlen/ });
  await t.throwsAsync(kiln.datasets.imdb.loadData({ path, numWords: -3 }), { instanceOf: kiln.ValueError, message: /`numWords` must be a non-negative integer, got -3/ });
});

test('imdb.getWordIndex reads the word index, and its indices decode reviews', async (t) => {
  const index = await kiln.datasets.imdb.getWordIndex({ path: join(FIXTURES, 'imdb_word_index.json') });
  t.deepEqual(index, keras.imdbWordIndex);
  // As the Keras examples decode: index + 3, with 0 padding, 1 start, 2 unknown.
  const reverse = new Map(Object.entries(index).map(([word, i]) => [i + 3, word]));
  t.is([1, 4, 22, 87, 2].map((i) => reverse.get(i) ?? '?').join(' '), '? the film great ?');
  const dir = await tempDir();
  const broken = join(dir, 'imdb_word_index.json');
  await writeFile(broken, '{"the": 1, ');
  await t.throwsAsync(kiln.datasets.imdb.getWordIndex({ path: broken }), { instanceOf: kiln.FileFormatError, message: /imdb_word_index\.json is not a valid JSON word index/ });
  await writeFile(broken, '["the"]');
  await t.throwsAsync(kiln.datasets.imdb.getWordIndex({ path: broken }), { instanceOf: kiln.FileFormatError, message: /must hold a JSON object mapping words to integer indices/ });
});

test('imdb.loadData reads an imdb.npz built here with Python 2 pickled object arrays', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'imdb.npz');
  // Review i of the training set is [i + 1, 30]; labels alternate.
  const train = Array.from({ length: 10 }, (_, i) => [i + 1, 30]);
  const int64 = (values: number[]) => ({ data: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer), shape: [values.length], descr: '<i8' });
  await writeFile(
    path,
    npzFile({
      x_train: objectArrayNpy(train),
      y_train: int64(train.map((_, i) => i % 2)),
      x_test: objectArrayNpy([[5, 6, 7]]),
      y_test: int64([1]),
    }),
  );
  const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.imdb.loadData({ path });
  // Shuffled as numpy's RandomState(113) does; start_char 1, then indices shifted by index_from 3.
  // Without numWords Keras keeps words below the largest index, so the largest (33) is oov_char 2.
  t.deepEqual(
    xTrain,
    SHUFFLE_10.map((i) => [1, i + 4, 2]),
  );
  t.deepEqual(
    Array.from(yTrain.dataSync()),
    SHUFFLE_10.map((i) => i % 2),
  );
  t.deepEqual(xTest, [[1, 8, 9, 10]]);
  t.deepEqual(Array.from(yTest.dataSync()), [1]);
  // numWords 10 keeps indices below 10 (others become oov_char 2); skipTop 5 drops 1..4 too.
  const [[limited]] = await kiln.datasets.imdb.loadData({ path, numWords: 10, skipTop: 5 });
  t.deepEqual(
    limited,
    SHUFFLE_10.map((i) => [2, i + 4 >= 5 && i + 4 < 10 ? i + 4 : 2, 2]),
  );
});

test('bostonHousing.loadData reads a float64 npz built here', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'boston_housing.npz');
  const float64 = (values: number[], shape: number[]) => ({ data: new Uint8Array(Float64Array.from(values).buffer), shape, descr: '<f8' });
  // Row i is [i, i + 0.5, ... ] over 13 features; its price is 10 * i + 0.25.
  const rows = Array.from({ length: 10 }, (_, i) => Array.from({ length: 13 }, (_, f) => i + f / 2));
  await writeFile(
    path,
    npzFile({
      x: float64(rows.flat(), [10, 13]),
      y: float64(
        rows.map((_, i) => 10 * i + 0.25),
        [10],
      ),
    }),
  );
  const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.bostonHousing.loadData({ path });
  t.deepEqual(xTrain.shape, [8, 13]);
  t.deepEqual(xTest.shape, [2, 13]);
  t.deepEqual(
    Array.from(yTrain.dataSync()),
    SHUFFLE_10.slice(0, 8).map((i) => 10 * i + 0.25),
  );
  t.deepEqual(
    Array.from(yTest.dataSync()),
    SHUFFLE_10.slice(8).map((i) => 10 * i + 0.25),
  );
  t.deepEqual((xTest.toArray() as number[][])[1], rows[SHUFFLE_10[9]]);
});

test('malformed imdb files are FileFormatErrors naming the file and array', async (t) => {
  const dir = await tempDir();
  const numericReviews = join(dir, 'numeric.npz');
  const bytes = (n: number) => ({ data: new Uint8Array(n), shape: [n] });
  await writeFile(numericReviews, npzFile({ x_train: bytes(3), y_train: bytes(3), x_test: bytes(2), y_test: bytes(2) }));
  await t.throwsAsync(kiln.datasets.imdb.loadData({ path: numericReviews }), {
    instanceOf: kiln.FileFormatError,
    message: /numeric\.npz: x_train must be an object array of integer lists, got dtype uint8/,
  });
  const lacking = join(dir, 'lacking.npz');
  await writeFile(lacking, npzFile({ x_train: bytes(3) }));
  await t.throwsAsync(kiln.datasets.imdb.loadData({ path: lacking }), { instanceOf: kiln.FileFormatError, message: /lacking\.npz has no array "y_train" \(it has: x_train\)/ });
  const original = await readFile(join(FIXTURES, 'imdb.npz'));
  const truncated = join(dir, 'truncated.npz');
  await writeFile(truncated, original.subarray(0, original.length - 100));
  await t.throwsAsync(kiln.datasets.imdb.loadData({ path: truncated }), { instanceOf: kiln.FileFormatError, message: /truncated\.npz/ });
});

test.serial('a cached imdb.npz and word index with wrong checksums are deleted and reported (SHA-256 and MD5)', async (t) => {
  const cacheDir = await tempDir();
  await copyFile(join(FIXTURES, 'imdb.npz'), join(cacheDir, 'imdb.npz'));
  await copyFile(join(FIXTURES, 'imdb_word_index.json'), join(cacheDir, 'imdb_word_index.json'));
  await withEnv({ KILN_DATASETS_BASE_URL: CLOSED_PORT_URL }, async () => {
    const npzError = await t.throwsAsync(kiln.datasets.imdb.loadData({ cacheDir }), { instanceOf: kiln.FileFormatError });
    t.regex(npzError!.message, /imdb\.npz is not the expected file: its SHA-256 is [0-9a-f]{64}, expected 69664113be75683a.*it was deleted/);
    t.regex(npzError!.message, /put imdb\.npz \(SHA-256 69664113/);
    const indexError = await t.throwsAsync(kiln.datasets.imdb.getWordIndex({ cacheDir }), { instanceOf: kiln.FileFormatError });
    t.regex(indexError!.message, /imdb_word_index\.json is not the expected file: its MD5 is [0-9a-f]{32}, expected bfafd718b763782e994055a2d397834f/);
  });
  t.false(existsSync(join(cacheDir, 'imdb.npz')));
  t.false(existsSync(join(cacheDir, 'imdb_word_index.json')));
});

test('bostonHousing.loadData splits and shuffles as keras.datasets.boston_housing', async (t) => {
  const path = join(FIXTURES, 'boston_housing.npz');
  for (const expected of keras.bostonHousing) {
    const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.bostonHousing.loadData({ path, ...camelCase(expected.options) });
    const what = JSON.stringify(expected.options);
    t.deepEqual(xTrain.shape, [expected.xTrain.length, 13], what);
    t.deepEqual(yTest.shape, [expected.yTest.length], what);
    t.is(xTrain.dtype, 'float32');
    for (const [got, want] of [
      [xTrain, expected.xTrain.flat()],
      [yTrain, expected.yTrain],
      [xTest, expected.xTest.flat()],
      [yTest, expected.yTest],
    ] as [kiln.Tensor, number[]][]) {
      const values = got.dataSync();
      t.is(values.length, want.length, what);
      want.forEach((v, i) => t.true(Math.abs(values[i] - v) <= 1e-5 * Math.max(1, Math.abs(v)), `${what}: ${values[i]} vs ${v}`));
    }
  }
  await t.throwsAsync(kiln.datasets.bostonHousing.loadData({ path, testSplit: 1 }), { instanceOf: kiln.ValueError, message: /Invalid `testSplit` argument: 1\. It must be between 0 and 1/ });
  const dir = await tempDir();
  const wrong = join(dir, 'boston_housing.npz');
  await writeFile(wrong, npzFile({ x: { data: new Uint8Array(26), shape: [2, 13] }, y: { data: new Uint8Array(3), shape: [3] } }));
  await t.throwsAsync(kiln.datasets.bostonHousing.loadData({ path: wrong }), {
    instanceOf: kiln.FileFormatError,
    message: /boston_housing\.npz: expected x of shape \[n, features\] and y of shape \[n\], got \[2, 13\] and \[3\]/,
  });
});
