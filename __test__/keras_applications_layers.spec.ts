// The layers and model shapes keras.applications needs, in files Keras 3 wrote
// (scripts/fixtures/keras_applications_layers.py -> __test__/fixtures/applications_layers/):
// Rescaling, Normalization (given, adapted, axis None, invert), Resizing, CenterCrop,
// LayerScale, StochasticDepth, CustomScaleLayer, axes in every form, Keras' other activations,
// nested Sequential and Functional models. Each loads from .keras and .h5 and predicts what
// Keras predicted; Normalization.adapt() computes Keras' mean and variance; what kiln cannot
// load (Lambda layers, unknown classes, missing or misshapen variables) is refused by name.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import { checkGradients } from './helpers/finite_differences.js';
import { findKerasPython, pythonEnv } from './helpers/python.js';
import { relativeDifference } from './helpers/relative_difference.js';

interface FixtureArray {
  shape: number[];
  values: number[];
}
interface Prediction {
  inputs: FixtureArray[];
  outputs: FixtureArray[];
  params: number;
}
interface AdaptCase {
  name: string;
  axis: number | number[] | null;
  batches: number[] | null;
  data: FixtureArray;
  mean: FixtureArray;
  variance: FixtureArray;
  probe: FixtureArray;
  output: FixtureArray;
}

const fixtures = new URL('./fixtures/applications_layers/', import.meta.url);
const file = (name: string) => fileURLToPath(new URL(name, fixtures));
const predictions: Record<string, Prediction> = JSON.parse(readFileSync(file('predictions.json'), 'utf8'));
const adaptCases: AdaptCase[] = JSON.parse(readFileSync(file('adapt.json'), 'utf8'));
const tensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.values), a.shape);

async function predict(model: kiln.Model, entry: Prediction): Promise<Float32Array> {
  const xs = entry.inputs.map(tensor);
  return (await model.predict(xs.length === 1 ? xs[0] : xs, { verbose: 0 })).dataSync() as Float32Array;
}

for (const name of Object.keys(predictions)) {
  for (const extension of ['keras', 'h5']) {
    test(`Keras' ${name}.${extension} loads and predicts what Keras predicts`, async (t) => {
      const entry = predictions[name];
      const model = await kiln.models.loadModel(file(`${name}.${extension}`));
      t.is(model.countParams(), entry.params);
      const difference = relativeDifference(await predict(model, entry), entry.outputs[0].values);
      t.true(difference < 1e-5, `${name}.${extension}: predictions differ from Keras' by ${difference} of the output's scale`);
    });
  }
}

test('the loaded layers keep their Keras settings: axes, adapted statistics, helper layers', async (t) => {
  const preprocessing = await kiln.models.loadModel(file('preprocessing.keras'));
  t.true(preprocessing.getLayer('rescaling') instanceof kiln.layers.Rescaling);
  const adapted = preprocessing.getLayer('adapted') as kiln.layers.Normalization;
  t.deepEqual(adapted.axis, [-1]);
  t.deepEqual(adapted.adaptMean!.shape, [4]);
  t.is((preprocessing.getLayer('bn') as kiln.layers.BatchNormalization).axis, 3);
  t.is(preprocessing.getLayer('layer_scale').constructor.name, 'LayerScale');
  t.is(preprocessing.getLayer('stochastic_depth').constructor.name, 'StochasticDepth');
  const imageOps = await kiln.models.loadModel(file('image_ops.keras'));
  t.deepEqual((imageOps.getLayer('ln') as kiln.layers.LayerNormalization).axis, [1, 2]);
  t.deepEqual((imageOps.getLayer('norm_all') as kiln.layers.Normalization).axis, []);
  const nested = await kiln.models.loadModel(file('nested.keras'));
  t.deepEqual(
    nested.layers.map((l) => l.name).filter((n) => n.startsWith('inner') || n === 'deeper'),
    ['inner_sequential', 'deeper', 'inner_functional'],
  );
});

test('models with the new layers save in kiln and load back with the same predictions', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'kiln-apps-'));
  try {
    for (const name of Object.keys(predictions)) {
      const model = await kiln.models.loadModel(file(`${name}.keras`));
      const expected = await predict(model, predictions[name]);
      for (const extension of ['keras', 'h5']) {
        const path = join(directory, `${name}.${extension}`);
        await model.save(path);
        const again = await kiln.models.loadModel(path);
        t.true(relativeDifference(await predict(again, predictions[name]), Array.from(expected)) < 1e-6, `${name}.${extension} saved by kiln`);
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

const lookup = findKerasPython();

test("Keras loads kiln's .keras files of these models and predicts the same", async (t) => {
  if (!lookup.python) {
    if (process.env.KILN_TEST_PYTHON) t.fail(lookup.reason);
    else t.log(`skipped: ${lookup.reason}`);
    t.pass();
    return;
  }
  const directory = mkdtempSync(join(tmpdir(), 'kiln-apps-keras-'));
  try {
    const cases = [];
    for (const name of Object.keys(predictions)) {
      const model = await kiln.models.loadModel(file(`${name}.keras`));
      const path = join(directory, `${name}.keras`);
      await model.save(path);
      cases.push({ file: path, inputs: predictions[name].inputs, expected: predictions[name].outputs[0].values });
    }
    const manifest = join(directory, 'manifest.json');
    writeFileSync(manifest, JSON.stringify(cases.map(({ file: f, inputs }) => ({ file: f, inputs }))));
    const run = spawnSync(lookup.python, [fileURLToPath(new URL('./helpers/keras_predict.py', import.meta.url)), manifest], { encoding: 'utf8', env: pythonEnv, maxBuffer: 1 << 26 });
    t.is(run.status, 0, run.stderr.slice(-2000));
    const results = JSON.parse(run.stdout.trim().split('\n').pop()!) as { outputs?: FixtureArray[]; error?: string }[];
    cases.forEach((c, k) => {
      t.is(results[k].error, undefined, `Keras could not load ${c.file}`);
      if (results[k].outputs) t.true(relativeDifference(results[k].outputs![0].values, c.expected) < 1e-5, `Keras' predictions of ${c.file}`);
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

for (const c of adaptCases) {
  test(`Normalization.adapt() (${c.name}, axis ${JSON.stringify(c.axis)}${c.batches ? `, batches of ${c.batches.join('/')}` : ''}) computes Keras' mean and variance`, async (t) => {
    const layer = new kiln.layers.Normalization({ axis: c.axis });
    const data = tensor(c.data);
    if (c.batches) {
      // Batches from a kiln.data.Dataset, combined as Keras combines them.
      const dataset = kiln.data.Dataset.fromTensors(data).batch(c.batches[0]);
      await layer.adapt(dataset);
    } else {
      await layer.adapt(data);
    }
    t.true(relativeDifference(layer.adaptMean!.read().dataSync(), c.mean.values) < 1e-5, 'mean');
    t.true(relativeDifference(layer.adaptVariance!.read().dataSync(), c.variance.values) < 1e-5, 'variance');
    const output = layer.apply(tensor(c.probe)) as kiln.Tensor;
    t.true(relativeDifference(output.dataSync(), c.output.values) < 1e-5, 'normalised probe');
  });
}

test('Normalization: adapt() on a list of batches and on an async generator; invert undoes it; bad input is refused', async (t) => {
  const c = adaptCases.find((a) => a.name === 'features')!;
  const data = tensor(c.data);
  const halves = [data.slice([0, 0], [13, 4]), data.slice([13, 0], [17, 4])];
  const fromList = new kiln.layers.Normalization();
  await fromList.adapt(halves);
  t.true(relativeDifference(fromList.adaptVariance!.read().dataSync(), c.variance.values) < 1e-5);
  const fromGenerator = new kiln.layers.Normalization();
  await fromGenerator.adapt(
    (async function* () {
      yield* halves;
    })(),
  );
  t.true(relativeDifference(fromGenerator.adaptMean!.read().dataSync(), c.mean.values) < 1e-5);

  const given = new kiln.layers.Normalization({ mean: [1, 2], variance: [4, 9] });
  const inverse = new kiln.layers.Normalization({ mean: [1, 2], variance: [4, 9], invert: true });
  const x = kiln.tensor([
    [3, 8],
    [-1, 2],
  ]);
  t.deepEqual(Array.from((given.apply(x) as kiln.Tensor).dataSync()), [1, 2, -1, 0]);
  t.deepEqual(Array.from((inverse.apply(given.apply(x) as kiln.Tensor) as kiln.Tensor).dataSync()), [3, 8, -1, 2]);

  await t.throwsAsync(new kiln.layers.Normalization().adapt([]), { instanceOf: kiln.ValueError, message: /received no data/ });
  await t.throwsAsync(new kiln.layers.Normalization().adapt(kiln.tensor(new Float32Array(0), [0, 3])), { instanceOf: kiln.ValueError, message: /received no data/ });
  await t.throwsAsync(given.adapt(x), { instanceOf: kiln.ValueError, message: /cannot change the mean and variance given/ });
  t.throws(() => new kiln.layers.Normalization({ mean: [1, 2] }), { instanceOf: kiln.ValueError, message: /both `mean` and `variance` must be set/ });
  t.throws(() => new kiln.layers.Normalization({ mean: [1, 2], variance: [1, -1] }), { instanceOf: kiln.ValueError, message: /must not be negative/ });
  t.throws(() => new kiln.layers.Normalization({ mean: [1, 2], variance: [1] }), { instanceOf: kiln.ValueError, message: /same shape/ });
  const built = new kiln.layers.Normalization();
  await built.adapt(kiln.tensor([[1, 2, 3]]));
  await t.throwsAsync(built.adapt(kiln.tensor([[1, 2]])), { instanceOf: kiln.ValueError, message: /incompatible shape/ });
});

test('gradients flow through the new layers and activations as finite differences say', async (t) => {
  // Rescaling, Resizing, LayerNormalization over two axes, Softmax over axis 1, LayerScale (the
  // class loading found for ConvNeXt's layer) and the new activations, trained by one SGD step.
  const LayerScale = (await kiln.models.loadModel(file('preprocessing.keras'))).getLayer('layer_scale').constructor as new (initValues: number, projectionDim: number) => kiln.layers.Layer;
  const inputs = kiln.Input({ shape: [3, 4, 2] });
  let h = new kiln.layers.Rescaling(0.5, { offset: 0.1 }).apply(inputs);
  h = new kiln.layers.Resizing(2, 2).apply(h);
  h = new kiln.layers.LayerNormalization({ axis: [1, 2] }).apply(h);
  h = new kiln.layers.Softmax({ axis: 1 }).apply(h);
  h = new kiln.layers.Flatten().apply(h);
  h = new kiln.layers.Dense(2).apply(h);
  h = new LayerScale(0.5, 2).apply(h);
  const branches = ['hard_silu', 'mish', 'log_softmax', 'glu', 'hard_tanh', 'squareplus', 'sparse_plus', 'log_sigmoid'].map((a) => new kiln.layers.Activation(a).apply(h));
  const merged = new kiln.layers.Concatenate({ axis: 1 }).apply(branches);
  const outputs = new kiln.layers.Dense(1).apply(merged);
  const model = new kiln.Model({ inputs, outputs });
  const x = kiln.tensor(
    Float32Array.from({ length: 4 * 24 }, (_, i) => Math.sin(i * 0.7) * 2),
    [4, 3, 4, 2],
  );
  const y = kiln.tensor([[0.5], [-0.2], [1], [0.1]]);
  await checkGradients(t, model, x, y, 'mse');
});

test('a Lambda layer in a file is refused as Keras safe_mode refuses it, naming the layer', async (t) => {
  await t.throwsAsync(kiln.models.loadModel(file('lambda.keras')), {
    instanceOf: kiln.FileFormatError,
    message: /Layer 'double' is a Lambda layer.*safe_mode.*arbitrary code/,
  });
});

test('a class kiln does not know is refused naming it and listing the known ones', (t) => {
  const config = JSON.stringify({
    class_name: 'Sequential',
    config: {
      name: 's',
      layers: [
        { class_name: 'InputLayer', config: { batch_shape: [null, 3], name: 'in' } },
        { class_name: 'FancyLayer', config: { name: 'fancy' } },
      ],
    },
  });
  const error = t.throws(() => kiln.models.modelFromJSON(config), { instanceOf: kiln.FileFormatError });
  t.regex(error!.message, /Could not locate layer class 'FancyLayer' \(layer 'fancy'\)/);
  t.regex(error!.message, /Known layer classes: .*\bDense\b.*\bNormalization\b.*\bRescaling\b/);
});

test('a weights file missing a variable, or holding one of the wrong shape, is refused naming it and the shapes', async (t) => {
  await t.throwsAsync(kiln.models.loadModel(file('missing_variable.keras')), {
    instanceOf: kiln.FileFormatError,
    message: /layer 'head' expected 2 variables, but received 1 variables during loading \(missing: 'bias' \(shape \[3\]\)\)/,
  });
  await t.throwsAsync(kiln.models.loadModel(file('wrong_shape.keras')), {
    instanceOf: kiln.FileFormatError,
    message: /weight 'kernel' of layer 'head' has shape \[5, 3\] in the file, but the layer expects \[4, 3\]/,
  });
});

test('axes in every form: positive, negative and lists mean the same; bad axes are refused', (t) => {
  const x = kiln.tensor(
    Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.cos(i)),
    [2, 3, 4],
  );
  const same = (a: kiln.Tensor, b: kiln.Tensor) => t.true(relativeDifference(a.dataSync(), Array.from(b.dataSync())) < 1e-6);
  same(new kiln.layers.Softmax({ axis: 2 }).apply(x), new kiln.layers.Softmax().apply(x));
  same(new kiln.layers.Softmax({ axis: -2 }).apply(x), new kiln.layers.Softmax({ axis: 1 }).apply(x));
  same(new kiln.layers.LayerNormalization({ axis: 2 }).apply(x), new kiln.layers.LayerNormalization({ axis: [-1] }).apply(x));
  same(new kiln.layers.BatchNormalization({ axis: 2 }).apply(x), new kiln.layers.BatchNormalization().apply(x));
  same(new kiln.layers.Concatenate({ axis: 2 }).apply([x, x]), new kiln.layers.Concatenate().apply([x, x]));
  // Softmax over two axes sums to 1 over both.
  const both = (new kiln.layers.Softmax({ axis: [1, 2] }).apply(x) as kiln.Tensor).dataSync();
  t.true(Math.abs(both.slice(0, 12).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  t.throws(() => new kiln.layers.Softmax({ axis: 3 }).apply(x), { message: /axis 3 is out of range for an input of rank 3/ });
  t.throws(() => new kiln.layers.LayerNormalization({ axis: [1, -2] }).apply(x), { message: /names the same axis twice/ });
  t.throws(() => new kiln.layers.BatchNormalization({ axis: 0 }).apply(x), { message: /not the batch axis/ });
  t.throws(() => new kiln.layers.BatchNormalization({ axis: 1.5 }), { instanceOf: kiln.ValueError, message: /`axis` must be an integer/ });
});

test('a model Keras compiled without a loss loads uncompiled, saying so, and predicts', async (t) => {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: string) => warnings.push(message);
  try {
    const model = await kiln.models.loadModel(file('compiled_without_loss.keras'));
    t.is(model.optimizer, undefined);
    t.deepEqual((await model.predict(kiln.tensor([[1, 2, 3]]), { verbose: 0 })).shape, [1, 2]);
  } finally {
    console.warn = warn;
  }
  t.is(warnings.length, 1);
  t.regex(warnings[0], /compiled in Keras without a loss; it is loaded uncompiled/);
});

test("arithmetic Keras recorded on symbolic tensors shows in the summary under Keras' operation names", async (t) => {
  const model = await kiln.models.loadModel(file('keras_ops.h5'));
  const table = model.summary(() => {});
  t.regex(table, /add \(Add\)/);
  t.regex(table, /subtract \(Subtract\)/);
});

test("Dropout's noiseShape shares one draw per sample, as EfficientNet's per-sample dropout needs", async (t) => {
  // One SGD step on one sample: the kernel's update is 2·(prediction − 0)·(dropped input), so a
  // mask shared over the sample moves every weight or none; entry-wise dropout would mix them.
  const outcomes = new Set<string>();
  for (let trial = 0; trial < 12; trial++) {
    kiln.setSeed(100 + trial);
    const model = new kiln.Sequential([
      new kiln.layers.Dropout(0.5, { noiseShape: [null, 1, 1, 1], inputShape: [2, 3, 2] }),
      new kiln.layers.Flatten(),
      new kiln.layers.Dense(1, { useBias: false, kernelInitializer: 'ones' }),
    ]);
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.01 }), loss: 'mse' });
    await model.fit(
      kiln.tensor(
        Float32Array.from({ length: 12 }, (_, i) => 1 + i / 12),
        [1, 2, 3, 2],
      ),
      kiln.tensor([[0]]),
      { epochs: 1, verbose: 0 },
    );
    const moved = Array.from(model.getWeights()[0].dataSync()).map((w) => w !== 1);
    t.true(
      moved.every((m) => m === moved[0]),
      `trial ${trial}: the mask was not shared over the sample (${moved.join(',')})`,
    );
    outcomes.add(moved[0] ? 'kept' : 'dropped');
  }
  t.deepEqual([...outcomes].sort(), ['dropped', 'kept'], 'in twelve draws the sample was both kept and dropped');
});
