// Layers that hold layers keep their weights where Keras 3 keeps them: Bidirectional's two
// directions under `forward_layer`/`backward_layer` (each in its `cell`), TimeDistributed's under
// `layer`, a custom layer's under the attribute holding them (a Sequential, a list, a dict), and in
// legacy `.h5` files under Keras' variable paths (`bidirectional/forward_lstm/lstm_cell/kernel`).
// Keras -> kiln: scripts/fixtures/keras_nested_weights.py wrote the models with Keras'
// predictions (__test__/fixtures/nested_weights/); kiln loads each and predicts the same.
// kiln -> Keras: kiln saves the loaded models again, Python Keras loads them and predicts the same.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import { HeldLayersBlock } from './helpers/held_layers_block.js';
import { findKerasPython, pythonEnv } from './helpers/python.js';
import { maxDifference, predictAll } from './helpers/saving_models.js';

interface FixtureArray {
  shape: number[];
  values: number[];
}
const fixtures = new URL('./fixtures/nested_weights/', import.meta.url);
const fixture = (file: string) => fileURLToPath(new URL(file, fixtures));
const predictions: Record<string, { inputs: FixtureArray[]; outputs: FixtureArray[] }> = JSON.parse(readFileSync(new URL('predictions.json', fixtures), 'utf8'));
const keptPaths: Record<string, { keras: string[]; h5: string[] }> = JSON.parse(readFileSync(new URL('paths.json', fixtures), 'utf8'));
const tensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.values), a.shape);
const directory = mkdtempSync(join(tmpdir(), 'kiln-nested-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

const { Dense } = kiln.layers;

kiln.utils.registerSerializable(HeldLayersBlock, { package: 'Nested' });

const NAMES = Object.keys(predictions);

for (const name of NAMES) {
  for (const extension of ['keras', 'h5']) {
    test(`Keras' ${name}.${extension} loads and predicts as Keras did`, async (t) => {
      const entry = predictions[name];
      const model = await kiln.models.loadModel(fixture(`${name}.${extension}`));
      const outputs = await predictAll(model, entry.inputs.map(tensor));
      t.is(outputs.length, entry.outputs.length);
      outputs.forEach((o, i) => t.true(maxDifference(o, entry.outputs[i].values) < 1e-5, `output ${i} differs by ${maxDifference(o, entry.outputs[i].values)}`));
    });
  }
}

/** The datasets of an HDF5 file, as paths (kiln's own reader, through a weights file it wrote). */
function datasetPaths(file: string): string[] {
  const run = spawnSync(lookup.python!, ['-c', 'import h5py,sys\nf=h5py.File(sys.argv[1],"r")\nf.visititems(lambda n,o: print(n) if isinstance(o,h5py.Dataset) else None)', file], {
    encoding: 'utf8',
    env: pythonEnv,
  });
  return run.stdout.trim().split('\n');
}

const lookup = findKerasPython();

test("kiln writes every variable where Keras does, and Keras loads kiln's files and predicts the same", async (t) => {
  if (!lookup.python) {
    t.log(`skipped: ${lookup.reason}`);
    t.pass();
    return;
  }
  const cases = [];
  for (const name of NAMES) {
    const entry = predictions[name];
    const model = await kiln.models.loadModel(fixture(`${name}.keras`));
    for (const extension of ['keras', 'h5']) {
      const file = join(directory, `${name}.${extension}`);
      await model.save(file);
      cases.push({ name, file, entry });
    }
    // The weights file holds exactly the paths Keras' model.weights.h5 holds.
    const weightsFile = join(directory, `${name}.weights.h5`);
    await model.saveWeights(weightsFile);
    t.deepEqual(
      datasetPaths(weightsFile)
        .filter((p) => !p.startsWith('optimizer'))
        .sort(),
      [...keptPaths[name].keras].sort(),
      `${name}: .weights.h5 paths`,
    );
  }
  const manifest = join(directory, 'manifest.json');
  writeFileSync(manifest, JSON.stringify(cases.map(({ file, entry }) => ({ file, inputs: entry.inputs }))));
  const layersModule = fileURLToPath(new URL('../scripts/fixtures/keras_nested_layers.py', import.meta.url));
  const run = spawnSync(lookup.python, [fileURLToPath(new URL('./helpers/keras_predict.py', import.meta.url)), manifest, layersModule], { encoding: 'utf8', env: pythonEnv, maxBuffer: 1 << 26 });
  t.is(run.status, 0, run.stderr.slice(-2000));
  const results = JSON.parse(run.stdout.trim().split('\n').pop()!) as { outputs?: FixtureArray[]; error?: string }[];
  cases.forEach(({ file, entry }, k) => {
    const result = results[k];
    t.is(result.error, undefined, `Keras could not load ${file}`);
    if (!result.outputs) return;
    entry.outputs.forEach((o, i) =>
      t.true(maxDifference(Float32Array.from(o.values), result.outputs![i].values) < 1e-5, `${file} output ${i} differs by ${maxDifference(Float32Array.from(o.values), result.outputs![i].values)}`),
    );
  });
});

test("legacy .h5 files name each variable by the layers holding it, as Keras' w.path", async (t) => {
  if (!lookup.python) {
    t.log(`skipped: ${lookup.reason}`);
    t.pass();
    return;
  }
  for (const name of ['bidirectional_lstm_concat', 'time_distributed', 'held_layers', 'nested_sequential']) {
    const model = await kiln.models.loadModel(fixture(`${name}.h5`));
    const file = join(directory, `${name}.legacy.h5`);
    await model.save(file);
    // Keras' own auto-numbered names differ (`dense_18`): compare the paths with numbers dropped.
    const shape = (p: string) => p.replace(/_\d+(?=\/|$)/g, '');
    const ours = datasetPaths(file)
      .filter((p) => p.startsWith('model_weights/'))
      .map(shape)
      .sort();
    t.deepEqual(ours, keptPaths[name].h5.map(shape).sort(), name);
  }
});

test('a Bidirectional LSTM trains, saves with nested paths and loads back the same', async (t) => {
  kiln.setSeed(4);
  const model = new kiln.Sequential([new kiln.layers.Bidirectional(new kiln.layers.LSTM(4, { returnSequences: true }), { inputShape: [5, 3] }), new kiln.layers.TimeDistributed(new Dense(2))]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const x = kiln.random.normal([16, 5, 3]);
  await model.fit(x, kiln.random.normal([16, 5, 2]), { epochs: 1, batchSize: 8, verbose: 0 });
  for (const extension of ['keras', 'h5']) {
    const file = join(directory, `trained.${extension}`);
    await model.save(file);
    const loaded = await kiln.models.loadModel(file);
    t.deepEqual(Array.from((await loaded.predict(x)).dataSync()), Array.from((await model.predict(x)).dataSync()), extension);
  }
});

test('recurrent dropout drops units of the state while training, scaled by 1 / (1 - rate), and nothing in inference', async (t) => {
  kiln.setSeed(3);
  const [features, steps, batch] = [4, 3, 64];
  const identity = Array.from({ length: features }, (_, i) => Array.from({ length: features }, (_, j) => (i === j ? 1 : 0)));
  // h0 = x0 = 1, then h_t = h_{t-1} ∘ r: each unit of h2 is 0 or 4 in training, 1 in inference.
  const rnn = new kiln.layers.SimpleRNN(features, { recurrentDropout: 0.5, activation: 'linear', useBias: false, inputShape: [steps, features] });
  const model = new kiln.Sequential([rnn]);
  rnn.setWeights([kiln.tensor(identity), kiln.tensor(identity)]);
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
  const x = kiln.tensor(
    Float32Array.from({ length: batch * steps * features }, (_, i) => (Math.floor(i / features) % steps === 0 ? 1 : 0)),
    [batch, steps, features],
  );
  const target = kiln.tensor(new Float32Array(batch * features).fill(2), [batch, features]);
  const history = await model.fit(x, target, { epochs: 1, batchSize: batch, verbose: 0 });
  t.true(Math.abs(history.history.loss[0] - 4) < 1e-5, `training loss ${history.history.loss[0]}`);
  t.true(Math.abs((await model.evaluate(x, target, { verbose: 0 }))[0] - 1) < 1e-6);
  t.is(rnn.getConfig().recurrentDropout, 0.5);
});

test("dropout of a recurrent layer's inputs: one mask per sequence, shared by its steps, only while training", async (t) => {
  kiln.setSeed(9);
  const [features, steps, batch] = [4, 3, 64];
  const identity = Array.from({ length: features }, (_, i) => Array.from({ length: features }, (_, j) => (i === j ? 1 : 0)));
  const inputs = kiln.Input({ shape: [steps, features] });
  // A linear cell with an identity kernel and no recurrence outputs its (dropped) inputs.
  const rnn = new kiln.layers.SimpleRNN(features, { dropout: 0.5, returnSequences: true, activation: 'linear', useBias: false });
  const y = rnn.apply(inputs) as kiln.SymbolicTensor;
  // y[t+1] - y[t]: zero at every step only if all steps share the mask.
  const difference = new kiln.layers.Conv1D(features, 2, { useBias: false });
  const model = new kiln.Model({ inputs, outputs: [difference.apply(y) as kiln.SymbolicTensor, y] });
  rnn.setWeights([kiln.tensor(identity), kiln.tensor(new Float32Array(features * features), [features, features])]);
  difference.setWeights([kiln.tensor([identity.map((row) => row.map((v) => -v)), identity])]);
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0 }), loss: ['mse', 'mse'] });
  const x = kiln.tensor(new Float32Array(batch * steps * features).fill(1), [batch, steps, features]);
  const targets = [kiln.tensor(new Float32Array(batch * (steps - 1) * features), [batch, steps - 1, features]), x];
  const history = await model.fit(x, targets, { epochs: 1, batchSize: batch, verbose: 0 });
  // Kept inputs are doubled, dropped ones zero: (y - 1)² is 1 everywhere, and the steps agree.
  t.true(Math.abs(history.history.loss[0] - 1) < 1e-6, `training loss ${history.history.loss[0]}`);
  const [inference] = await model.evaluate(x, targets, { verbose: 0 });
  t.true(Math.abs(inference) < 1e-6, `inference loss ${inference}`);
  t.is(rnn.getConfig().dropout, 0.5);
  t.throws(() => new kiln.layers.LSTM(2, { dropout: 1 }), { instanceOf: kiln.ValueError, message: /`dropout` must be a number in \[0, 1\), got 1/ });
});

// fixtures/nested_weights/kiln_flat/: written by kiln at 936bf64, before it followed Keras' nesting
// (all of Bidirectional's variables in `layers/bidirectional/vars`); such files still load.
test("kiln's older files, with a wrapper's variables flat in its own group, still load", async (t) => {
  const old = JSON.parse(readFileSync(new URL('kiln_flat/predictions.json', fixtures), 'utf8')) as { x: FixtureArray; y: FixtureArray };
  const loaded = await kiln.models.loadModel(fixture('kiln_flat/bidirectional.keras'));
  t.true(maxDifference((await loaded.predict(tensor(old.x))).dataSync(), old.y.values) < 1e-6);
  const fresh = new kiln.Sequential([new kiln.layers.Bidirectional(new kiln.layers.LSTM(3, { returnSequences: true }), { inputShape: [4, 2] }), new kiln.layers.TimeDistributed(new Dense(2))]);
  await fresh.loadWeights(fixture('kiln_flat/bidirectional.weights.h5'));
  t.true(maxDifference((await fresh.predict(tensor(old.x))).dataSync(), old.y.values) < 1e-6);
});
