// Files move between kiln and real Keras 3 both ways.
// Keras -> kiln: scripts/fixtures/keras_saving.py wrote .keras and legacy .h5 files and Keras'
// predictions (__test__/fixtures/saving/); kiln loads each and predicts the same, and one more
// epoch of training from the loaded optimizer state gives Keras' weights.
// kiln -> Keras: kiln saves trained models, Python Keras loads them and predicts the same
// (skipped, with the reason, where no Python with Keras is found).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import { findKerasPython, pythonEnv } from './helpers/python.js';
import { inputsOf, MODEL_NAMES, maxDifference, predictAll, trainedModel } from './helpers/saving_models.js';

interface FixtureArray {
  shape: number[];
  values: number[];
}
interface Entry {
  inputs: FixtureArray[];
  outputs: FixtureArray[];
  iterations: number;
  train?: { x: FixtureArray[]; y: FixtureArray[] };
  continued_outputs?: FixtureArray[];
}
const fixtures = new URL('./fixtures/saving/', import.meta.url);
const predictions: Record<string, Entry> = JSON.parse(readFileSync(new URL('predictions.json', fixtures), 'utf8'));
const tensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.values), a.shape);

for (const name of Object.keys(predictions)) {
  for (const extension of ['keras', 'h5']) {
    test(`Keras' ${name}.${extension} loads and predicts as Keras did`, async (t) => {
      const entry = predictions[name];
      const model = await kiln.models.loadModel(fileURLToPath(new URL(`${name}.${extension}`, fixtures)));
      const outputs = await predictAll(model, entry.inputs.map(tensor));
      t.is(outputs.length, entry.outputs.length);
      outputs.forEach((o, i) => t.true(maxDifference(o, entry.outputs[i].values) < 1e-5, `output ${i} differs by ${maxDifference(o, entry.outputs[i].values)}`));
      t.is(model.optimizer?.iterations, entry.iterations, 'the step count is restored');
      if (!entry.train) return;
      // Keras trained one more epoch (2 batches of 8, in order) after saving.
      const x = entry.train.x.map(tensor);
      const y = entry.train.y.map(tensor);
      await model.fit(inputsOf(x), y.length === 1 ? y[0] : y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
      const continued = await predictAll(model, entry.inputs.map(tensor));
      continued.forEach((o, i) => {
        const difference = maxDifference(o, entry.continued_outputs![i].values);
        t.true(difference < 1e-4, `after one more epoch output ${i} differs from Keras' by ${difference}`);
      });
    });
  }
}

test("a Keras model's compile settings come back: optimizer class and config, loss, loss weights", async (t) => {
  const cnn = await kiln.models.loadModel(fileURLToPath(new URL('cnn.keras', fixtures)));
  t.true(cnn.optimizer instanceof kiln.optimizers.SGD);
  const sgd = cnn.optimizer as kiln.optimizers.SGD;
  t.is(sgd.momentum, 0.9);
  t.true(Math.abs((sgd.learningRate as number) - 0.05) < 1e-7);
  const multi = await kiln.models.loadModel(fileURLToPath(new URL('multi_input.keras', fixtures)));
  t.deepEqual(
    multi.inputs.map((i) => i.shape),
    [
      [null, 4],
      [null, 4],
    ],
  );
  t.is(multi.outputs.length, 2);
  t.deepEqual(
    multi.layers.map((l) => l.name).filter((n) => ['shared', 'scores', 'gate'].includes(n)),
    ['shared', 'scores', 'gate'],
  );
  // Evaluating needs the restored losses: two outputs, weights 1 and 0.5.
  const entry = predictions.multi_input;
  const [loss] = await multi.evaluate(entry.train!.x.map(tensor), entry.train!.y.map(tensor), { verbose: 0 });
  t.true(Number.isFinite(loss) && loss > 0);
});

const lookup = findKerasPython();

test("Keras loads kiln's .keras and .h5 files of every model kind and predicts the same", async (t) => {
  if (!lookup.python) {
    t.log(`skipped: ${lookup.reason}`);
    t.pass();
    return;
  }
  const directory = mkdtempSync(join(tmpdir(), 'kiln-keras-'));
  try {
    // Every file is written first, so one Python process (Keras' import is slow) reads them all.
    const cases = [];
    for (const name of MODEL_NAMES) {
      const { model, x } = await trainedModel(name);
      const sample = x.map((v) => v.slice([0, ...v.shape.slice(1).map(() => 0)], [4, ...v.shape.slice(1)]));
      const expected = await predictAll(model, sample);
      for (const extension of ['keras', 'h5']) {
        const file = join(directory, `${name}.${extension}`);
        await model.save(file);
        cases.push({ file, extension, expected, iterations: model.optimizer!.iterations, inputs: sample.map((v) => ({ shape: v.shape, values: Array.from(v.dataSync()) })) });
      }
    }
    const manifest = join(directory, 'manifest.json');
    writeFileSync(manifest, JSON.stringify(cases.map(({ file, inputs }) => ({ file, inputs }))));
    const run = spawnSync(lookup.python, [fileURLToPath(new URL('./helpers/keras_predict.py', import.meta.url)), manifest], { encoding: 'utf8', env: pythonEnv, maxBuffer: 1 << 26 });
    t.is(run.status, 0, run.stderr.slice(-2000));
    const results = JSON.parse(run.stdout.trim().split('\n').pop()!) as { outputs?: FixtureArray[]; iterations?: number | null; error?: string }[];
    cases.forEach((c, k) => {
      const result = results[k];
      t.is(result.error, undefined, `Keras could not load ${c.file}`);
      if (!result.outputs) return;
      c.expected.forEach((o, i) => t.true(maxDifference(o, result.outputs![i].values) < 1e-5, `${c.file} output ${i} differs by ${maxDifference(o, result.outputs![i].values)}`));
      if (c.extension === 'keras') t.is(result.iterations, c.iterations, `Keras reads the step count of ${c.file}`);
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

// Each optimizer's state, laid out as Keras lays it out (interleaved or in blocks, Nadam's
// trailing product), continues Keras' training: one more epoch of 2 batches from the file.
const continued: Record<string, FixtureArray> = JSON.parse(readFileSync(new URL('optimizers/continued.json', fixtures), 'utf8'));
for (const name of Object.keys(continued).filter((k) => k !== 'x' && k !== 'y')) {
  test(`the state of Keras' ${name} optimizer loads and training continues as in Keras`, async (t) => {
    const model = await kiln.models.loadModel(fileURLToPath(new URL(`optimizers/${name}.keras`, fixtures)));
    t.is(model.optimizer!.iterations, 6);
    await model.fit(tensor(continued.x), tensor(continued.y), { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const difference = maxDifference((await model.predict(tensor(continued.x))).dataSync(), continued[name].values);
    t.true(difference < 1e-5, `after one more epoch the predictions differ from Keras' by ${difference}`);
  });
}
