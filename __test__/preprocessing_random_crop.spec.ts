// RandomCrop: at inference the largest centred window of the target's aspect ratio, resized, as
// Keras documents (its smart_resize); in training Keras' fixed window where the image is not
// larger than the target, else one uniformly drawn window per batch. Training-mode outputs are
// observed through the loss (mse against a target after one trainOnBatch).
// Regenerate the fixture with scripts/fixtures/keras_random_crop.py.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import * as ort from 'onnxruntime-node';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixture: any = JSON.parse(readFileSync(new URL('./fixtures/keras_random_crop.json', import.meta.url), 'utf8'));
const image = kiln.tensor(fixture.image);

function cropModel(height: number, width: number, shape: number[]): kiln.Model {
  const inputs = kiln.Input({ shape });
  const model = new kiln.Model({ inputs, outputs: new kiln.layers.RandomCrop(height, width).apply(inputs) as kiln.SymbolicTensor });
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  return model;
}

function closeTo(t: { true: (c: boolean, m?: string) => void }, got: ArrayLike<number>, want: number[], tolerance: number): void {
  const scale = Math.max(...want.map(Math.abs));
  t.true(got.length === want.length, `${got.length} values vs ${want.length}`);
  const worst = Math.max(...want.map((w, i) => Math.abs(got[i] - w)));
  t.true(worst <= tolerance * scale, `max error ${worst} vs scale ${scale}`);
}

for (const c of fixture.inference) {
  test(`RandomCrop(${c.height}, ${c.width}) at inference is Keras' smart_resize, in predict and eager calls`, async (t) => {
    const model = cropModel(c.height, c.width, image.shape.slice(1) as number[]);
    const predicted = await model.predict(image);
    t.deepEqual(predicted.shape, [2, c.height, c.width, 2]);
    const want = [c.y].flat(Infinity as 1) as number[];
    closeTo(t, predicted.dataSync(), want, 1e-5);
    closeTo(t, new kiln.layers.RandomCrop(c.height, c.width).apply(image).dataSync(), want, 1e-5);
  });
}

for (const c of fixture.training) {
  test(`RandomCrop(${c.height}, ${c.width}) in training on a 6x7 image: Keras' resized centred window`, async (t) => {
    const model = cropModel(c.height, c.width, image.shape.slice(1) as number[]);
    const target = kiln.tensor(c.y);
    const scale = Math.max(...(target.dataSync() as Float32Array).map(Math.abs));
    const [distance] = await model.trainOnBatch(image, target);
    t.true(Math.sqrt(distance) <= 1e-5 * scale, `rms ${Math.sqrt(distance)} vs scale ${scale}`);
  });
}

test('RandomCrop in training draws every window of a larger image, uniformly, one per batch', async (t) => {
  kiln.setSeed(21);
  // A 1x1 crop of an image of distinct values v reports mse v² against zeros: the drawn pixel.
  const values = Array.from({ length: 20 }, (_, i) => i + 1);
  const x = kiln.tensor(values, [1, 4, 5, 1]);
  const model = cropModel(1, 1, [4, 5, 1]);
  const zeros = kiln.tensor([0], [1, 1, 1, 1]);
  const counts = new Map<number, number>();
  for (let i = 0; i < 400; i++) {
    const v = Math.round(Math.sqrt((await model.trainOnBatch(x, zeros))[0]));
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  t.deepEqual(
    [...counts.keys()].sort((a, b) => a - b),
    values,
  );
  // 20 windows, 20 expected each: every count within a wide binomial band.
  t.true(
    [...counts.values()].every((n) => n >= 6 && n <= 40),
    JSON.stringify([...counts]),
  );
  // A 2x3 crop of two images: the loss is one window's, and both images share its place.
  const two = kiln.tensor([...values, ...values.map((v) => 100 + v)], [2, 4, 5, 1]);
  const windows: number[] = [];
  for (let top = 0; top <= 2; top++) {
    for (let left = 0; left <= 2; left++) {
      let sum = 0;
      for (const base of [0, 100]) for (let r = 0; r < 2; r++) for (let q = 0; q < 3; q++) sum += (base + values[(top + r) * 5 + left + q]) ** 2;
      windows.push(sum / 12);
    }
  }
  const wide = cropModel(2, 3, [4, 5, 1]);
  const seen = new Set<number>();
  for (let i = 0; i < 60; i++) {
    const loss = (await wide.trainOnBatch(two, kiln.tensor(new Float32Array(12), [2, 2, 3, 1])))[0];
    const match = windows.findIndex((w) => Math.abs(w - loss) <= 1e-4 * w);
    t.true(match >= 0, `loss ${loss} is no window's`);
    seen.add(match);
  }
  t.is(seen.size, 9);
});

test('a model with RandomCrop in front trains: the gradient reaches the layers before it', async (t) => {
  kiln.setSeed(3);
  const inputs = kiln.Input({ shape: [6, 6, 1] });
  const scaled = new kiln.layers.Conv2D(1, 1, { useBias: false, kernelInitializer: 'ones' }).apply(inputs) as kiln.SymbolicTensor;
  const cropped = new kiln.layers.RandomCrop(4, 4).apply(scaled) as kiln.SymbolicTensor;
  const model = new kiln.Model({ inputs, outputs: cropped });
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
  const x = kiln.tensor(new Float32Array(36).fill(1), [1, 6, 6, 1]);
  const y = kiln.tensor(new Float32Array(16).fill(3), [1, 4, 4, 1]);
  const history = await model.fit(x, y, { epochs: 40, verbose: 0 });
  t.true(history.history.loss[39] < 1e-3 * history.history.loss[0], JSON.stringify(history.history.loss.slice(-3)));
  closeTo(t, (await model.predict(x)).dataSync(), new Array(16).fill(3), 1e-2);
});

test("bad arguments are refused in Keras' terms", (t) => {
  t.throws(() => new kiln.layers.RandomCrop(0, 3), { instanceOf: kiln.ValueError, message: /`height` must be a positive integer/ });
  t.throws(() => new kiln.layers.RandomCrop(3, 2.5), { instanceOf: kiln.ValueError, message: /`width` must be a positive integer/ });
  t.throws(() => new kiln.layers.RandomCrop(3, 3, { seed: 1 }), { instanceOf: kiln.ValueError, message: /kiln.setSeed/ });
  t.throws(() => new kiln.layers.RandomCrop(3, 3, { dataFormat: 'channels_first' }), { instanceOf: kiln.ValueError, message: /channels_last/ });
  t.throws(() => new kiln.layers.RandomCrop(3, 3).apply(kiln.Input({ shape: [null, null, 3] })), { instanceOf: kiln.ValueError, message: /fully defined height and width/ });
  t.throws(() => new kiln.layers.RandomCrop(3, 3).apply(kiln.Input({ shape: [5] })), { instanceOf: kiln.ValueError, message: /rank 4/ });
});

test('a Keras-saved model with RandomCrop loads and predicts the documented inference output; kiln saves and reloads it', async (t) => {
  const saved = fixture.saved;
  const model = await kiln.models.loadModel(fileURLToPath(new URL(`./fixtures/${saved.file}`, import.meta.url)));
  t.deepEqual(model.layers.map((l) => l.constructor.name).slice(1), saved.layers.slice(1));
  const crop = model.layers.find((l) => l instanceof kiln.layers.RandomCrop) as kiln.layers.RandomCrop;
  t.deepEqual([crop.height, crop.width], [8, 8]);
  const x = kiln.tensor(saved.x);
  const want = [saved.y].flat(Infinity as 1) as number[];
  closeTo(t, (await model.predict(x)).dataSync(), want, 1e-4);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-random-crop-'));
  try {
    await model.save(join(dir, 'again.keras'));
    const again = await kiln.models.loadModel(join(dir, 'again.keras'));
    closeTo(t, (await again.predict(x)).dataSync(), want, 1e-4);
    // Exported for inference, the crop is its centred resize: onnxruntime predicts the same.
    await model.exportOnnx(join(dir, 'crop.onnx'));
    const session = await ort.InferenceSession.create(join(dir, 'crop.onnx'));
    const results = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape as number[]) });
    closeTo(t, results[session.outputNames[0]].data as Float32Array, want, 1e-4);
    await session.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
