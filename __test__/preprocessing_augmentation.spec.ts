// Image augmentation layers: the identity at inference, Keras' output in training when the draw
// is fixed (a range of one value), seeded draws, value ranges, and a small training run.
// Training-mode outputs are observed through the loss: a model that is only the augmentation,
// trained on one batch with mse against a target, reports mean((augmented - target)²).
// Regenerate the fixture with scripts/fixtures/keras_preprocessing.py.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import { findKerasPython, runPython } from './helpers/python.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixture: any = JSON.parse(readFileSync(new URL('./fixtures/keras_preprocessing.json', import.meta.url), 'utf8'));
const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function augmentationModel(layer: kiln.layers.Layer, shape: number[]): kiln.Model {
  const inputs = kiln.Input({ shape });
  const model = new kiln.Model({ inputs, outputs: layer.apply(inputs) as kiln.SymbolicTensor });
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  return model;
}

/** mean((augmented x - target)²) of one training-mode pass. */
async function trainingDistance(model: kiln.Model, x: kiln.Tensor, target: kiln.Tensor): Promise<number> {
  return (await model.trainOnBatch(x, target))[0];
}

const image = kiln.tensor(fixture.augmentation.image);
const imageShape = image.shape.slice(1) as number[];

for (const c of fixture.augmentation.cases) {
  test(`${c.layer} ${JSON.stringify(c.args)}: Keras' training output with the draw fixed, identity at inference`, async (t) => {
    const args = Object.fromEntries(Object.entries(c.args).map(([k, v]) => [camel(k), v]));
    const Layer = (kiln.layers as unknown as Record<string, new (a: object) => kiln.layers.Layer>)[c.layer];
    const layer = new Layer(args);
    const model = augmentationModel(layer, imageShape);
    const expected = kiln.tensor(c.y);
    const scale = Math.max(...(expected.dataSync() as Float32Array).map(Math.abs));
    const distance = await trainingDistance(model, image, expected);
    // Root-mean-square difference within 1e-4 of the output's scale.
    t.true(Math.sqrt(distance) <= 1e-4 * scale, `rms ${Math.sqrt(distance)} vs scale ${scale}`);
    t.deepEqual(Array.from((await model.predict(image)).dataSync()), Array.from(kiln.tensor(c.inference).dataSync()));
    t.deepEqual(Array.from(layer.apply(image).dataSync()), Array.from(image.dataSync()));
  });
}

/** A 4x5 one-channel image and its mirror images. */
const plain = kiln.tensor(
  Array.from({ length: 20 }, (_, i) => i),
  [1, 4, 5, 1],
);
const mirror = (horizontal: boolean, vertical: boolean) =>
  kiln.tensor(
    Array.from({ length: 20 }, (_, i) => {
      const [r, c] = [Math.floor(i / 5), i % 5];
      return (vertical ? 3 - r : r) * 5 + (horizontal ? 4 - c : c);
    }),
    [1, 4, 5, 1],
  );

for (const mode of ['horizontal', 'vertical', 'horizontal_and_vertical'] as const) {
  test(`RandomFlip('${mode}') gives the exact mirror image when its draw flips, the image otherwise`, async (t) => {
    const target = mirror(mode !== 'vertical', mode !== 'horizontal');
    // The engine takes its generator's seed from kiln.setSeed when it is created.
    const run = async () => {
      kiln.setSeed(11);
      const model = augmentationModel(new kiln.layers.RandomFlip(mode), [4, 5, 1]);
      const distances: number[] = [];
      for (let i = 0; i < 40; i++) distances.push(await trainingDistance(model, plain, target));
      return { distances, unflipped: ((await model.evaluate(plain, target, { verbose: 0 })) as number[])[0] };
    };
    const { distances, unflipped } = await run();
    t.true(unflipped > 0);
    t.true(
      distances.every((d) => d === 0 || Math.abs(d - unflipped) < 1e-6 * unflipped),
      JSON.stringify(distances),
    );
    const flips = distances.filter((d) => d === 0).length;
    t.true(flips >= 8 && flips <= 32, `${flips} of 40 flipped`);
    // The same seed draws the same flips.
    const again = (await run()).distances;
    t.deepEqual(again, distances);
  });
}

test('RandomContrast and RandomBrightness keep outputs in valueRange and shift within their factor', async (t) => {
  kiln.setSeed(5);
  const x = kiln.tensor(
    Array.from({ length: 8 * 6 * 6 * 3 }, (_, i) => (i * 53) % 256),
    [8, 6, 6, 3],
  );
  // Against a target of the lower end, mse is the mean square of (output - 0): bounded by the range.
  const brightness = augmentationModel(new kiln.layers.RandomBrightness(0.2), [6, 6, 3]);
  const zeros = kiln.tensor(new Float32Array(x.size), x.shape as number[]);
  const meanSquare = ((await brightness.evaluate(x, zeros, { verbose: 0 })) as number[])[0];
  for (let i = 0; i < 10; i++) {
    const d = await trainingDistance(brightness, x, zeros);
    t.true(d <= 255 * 255 + 1e-3);
    t.not(d, meanSquare);
  }
  // A shift of 0.5 · 255 up then clipping to [0, 255] leaves at least half of all pixels at 255.
  const up = augmentationModel(new kiln.layers.RandomBrightness([0.5, 0.5]), [6, 6, 3]);
  const full = kiln.tensor(new Float32Array(x.size).fill(255), x.shape as number[]);
  const belowTop = await trainingDistance(up, x, full);
  const values = Array.from(x.dataSync()).map((v) => Math.min(255, v + 127.5));
  const expected = values.reduce((s, v) => s + (255 - v) ** 2, 0) / values.length;
  t.true(Math.abs(belowTop - expected) < 1e-3 * expected, `${belowTop} vs ${expected}`);
  // Contrast factor f in [1 - 0.5, 1 + 0.5]: without clipping, mean((y - mean)²) = f² · mean((x - mean)²).
  const one = kiln.tensor(
    Array.from({ length: 6 * 6 * 3 }, (_, i) => 50 + ((i * 53) % 150)),
    [1, 6, 6, 3],
  );
  const data = one.dataSync();
  const means = new Float32Array(one.size);
  for (let ch = 0; ch < 3; ch++) {
    let sum = 0;
    for (let p = 0; p < 36; p++) sum += data[p * 3 + ch];
    for (let p = 0; p < 36; p++) means[p * 3 + ch] = sum / 36;
  }
  const meanImage = kiln.tensor(means, one.shape as number[]);
  const base = data.reduce((s, v, i) => s + (v - means[i]) ** 2, 0) / data.length;
  const contrast = augmentationModel(new kiln.layers.RandomContrast(0.5), [6, 6, 3]);
  const factors: number[] = [];
  for (let i = 0; i < 20; i++) factors.push(Math.sqrt((await trainingDistance(contrast, one, meanImage)) / base));
  t.true(
    factors.every((f) => f >= 0.5 - 1e-4 && f <= 1.5 + 1e-4),
    JSON.stringify(factors),
  );
  t.true(Math.min(...factors) < 0.8 && Math.max(...factors) > 1.2, JSON.stringify(factors));
});

test('a small model trains with augmentation in front and predicts without it', async (t) => {
  kiln.setSeed(1);
  // Bright versus dark 8x8 images: flips and small rotations do not change the class.
  const n = 64;
  const xs = new Float32Array(n * 8 * 8);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ys[i] = i % 2;
    for (let p = 0; p < 64; p++) xs[i * 64 + p] = (i % 2 ? 0.7 : 0.2) + 0.1 * Math.sin(i * 7 + p);
  }
  const model = new kiln.Sequential([
    kiln.Input({ shape: [8, 8, 1] }) as unknown as kiln.layers.Layer,
    new kiln.layers.RandomFlip('horizontal'),
    new kiln.layers.RandomRotation(0.1),
    new kiln.layers.RandomZoom(0.1),
    new kiln.layers.RandomTranslation(0.1, 0.1),
    new kiln.layers.Flatten(),
    new kiln.layers.Dense(1, { activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.05 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const x = kiln.tensor(xs, [n, 8, 8, 1]);
  const y = kiln.tensor(ys, [n, 1]);
  const history = await model.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0 });
  t.true(history.history.loss[14] < history.history.loss[0]);
  const [, accuracy] = (await model.evaluate(x, y, { verbose: 0 })) as number[];
  t.true(accuracy >= 0.9, `accuracy ${accuracy}`);
});

test("bad arguments are refused in Keras' terms", (t) => {
  t.throws(() => new kiln.layers.RandomFlip('diagonal' as never), { instanceOf: kiln.ValueError, message: /unknown mode/ });
  t.throws(() => new kiln.layers.RandomRotation(0.2, { fillMode: 'mirror' as never }), { instanceOf: kiln.ValueError, message: /unknown `fillMode`/ });
  t.throws(() => new kiln.layers.RandomZoom(0.2, null, { interpolation: 'bicubic' as never }), { instanceOf: kiln.ValueError, message: /unknown `interpolation`/ });
  t.throws(() => new kiln.layers.RandomTranslation(1.5, 0.1), { instanceOf: kiln.ValueError, message: /heightFactor/ });
  t.throws(() => new kiln.layers.RandomBrightness([0.3, 0.1]), { instanceOf: kiln.ValueError, message: /lower <= upper/ });
  t.throws(() => new kiln.layers.RandomContrast(0.2, { seed: 3 }), { instanceOf: kiln.ValueError, message: /kiln.setSeed/ });
  t.throws(() => new kiln.layers.RandomFlip().apply(kiln.tensor([[1, 2]]), { training: true }), { instanceOf: kiln.ValueError, message: /engine in fit/ });
  const flat = kiln.Input({ shape: [5] });
  t.throws(() => new kiln.layers.RandomFlip().apply(flat), { instanceOf: kiln.ValueError, message: /rank 4/ });
});

test('a Keras-saved model with augmentation layers loads and predicts what Keras predicts; kiln saves and reloads it', async (t) => {
  const saved = fixture.saved_augmentation;
  const model = await kiln.models.loadModel(fileURLToPath(new URL(`./fixtures/${saved.file}`, import.meta.url)));
  t.deepEqual(model.layers.map((l) => l.constructor.name).slice(1), saved.layers.slice(1));
  const x = kiln.tensor(saved.x);
  const expected = [saved.y].flat(Infinity as 1) as number[];
  const check = (values: ArrayLike<number>) => Array.from(values).forEach((v, i) => t.true(Math.abs(v - expected[i]) <= 1e-4 * Math.max(1, Math.abs(expected[i])), `${i}: ${v} vs ${expected[i]}`));
  check((await model.predict(x)).dataSync());
  const dir = mkdtempSync(join(tmpdir(), 'kiln-augment-'));
  try {
    await model.save(join(dir, 'again.keras'));
    const again = await kiln.models.loadModel(join(dir, 'again.keras'));
    check((await again.predict(x)).dataSync());
    // Keras reads kiln's file back (where a Python with Keras is found).
    const { python, reason } = findKerasPython();
    if (python) {
      const script =
        'import sys, json, numpy as np, keras\nm = keras.models.load_model(sys.argv[1])\nprint(json.dumps(m.predict(np.array(json.loads(sys.argv[2]), dtype="float32"), verbose=0).tolist()))';
      const predicted = JSON.parse(runPython(python, script, [join(dir, 'again.keras'), JSON.stringify(saved.x)]));
      check([predicted].flat(Infinity as 1) as number[]);
    } else t.log(`Keras reading kiln's file skipped: ${reason}`);
    // Exported for inference, augmentation is the identity (ONNX has no training mode).
    await model.export(join(dir, 'augment.onnx'));
    t.true(statSync(join(dir, 'augment.onnx')).size > 0);
    const rotation = again.layers.find((l) => l instanceof kiln.layers.RandomRotation) as kiln.layers.RandomRotation;
    t.deepEqual(rotation.factor, [-0.1, 0.1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
