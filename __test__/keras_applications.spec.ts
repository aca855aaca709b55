// Real Keras models load and predict what Keras predicts: keras.applications builders saved by
// Keras 3 (random weights, each at its smallest input size, 10 classes, no final activation)
// as .keras and legacy .h5 files. scripts/fixtures/keras_applications.py writes them with
// Keras' predictions into .kiln-tmp/applications/ (10 to 300 MB each, never committed) when
// they are missing. Where no Python with Keras is found the tests skip, saying why; in CI
// (KILN_TEST_PYTHON set) they fail instead.
// KILN_APPLICATIONS=all (or a comma-separated list of builders) checks other models on demand.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import { findKerasPython, pythonEnv } from './helpers/python.js';
import { relativeDifference } from './helpers/relative_difference.js';

// The models CI checks: the smallest member of each of the 14 keras.applications families
// (KILN_APPLICATIONS=all, or a list of names, runs any of the 40 on demand).
const CHECKED_IN_CI = [
  'VGG16',
  'ResNet50',
  'ResNet50V2',
  'DenseNet121',
  'InceptionV3',
  'InceptionResNetV2',
  'MobileNet',
  'MobileNetV2',
  'MobileNetV3Small',
  'EfficientNetB0',
  'EfficientNetV2B0',
  'Xception',
  'NASNetMobile',
  'ConvNeXtTiny',
];

const script = fileURLToPath(new URL('../scripts/fixtures/keras_applications.py', import.meta.url));
const directory = fileURLToPath(new URL('../.kiln-tmp/applications/', import.meta.url));
const inCI = Boolean(process.env.KILN_TEST_PYTHON);

function requestedModels(): string[] {
  const requested = process.env.KILN_APPLICATIONS;
  if (!requested) return CHECKED_IN_CI;
  if (requested !== 'all')
    return requested
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
  const lookup = findKerasPython();
  if (!lookup.python) throw new Error(`KILN_APPLICATIONS=all needs Python with Keras: ${lookup.reason}`);
  return spawnSync(lookup.python, [script, '--list'], { encoding: 'utf8', env: pythonEnv }).stdout.trim().split('\n');
}

const models = requestedModels();

interface FixtureArray {
  shape: number[];
  values: number[];
}
interface SavedPrediction {
  name: string;
  params: number;
  seconds: number;
  inputs: FixtureArray;
  outputs: FixtureArray;
}

const recordPath = (name: string) => `${directory}${name}.json`;

/** Generates the missing models once for all tests; resolves to why not, or undefined. */
let generation: Promise<string | undefined> | undefined;
function generateMissing(): Promise<string | undefined> {
  generation ??= (async () => {
    const missing = models.filter((name) => !existsSync(recordPath(name)));
    if (missing.length === 0) return undefined;
    const lookup = findKerasPython();
    if (!lookup.python) return `no Python with Keras to generate ${missing.join(', ')}: ${lookup.reason}`;
    const started = Date.now();
    // JAX compiles Keras' predict fastest; the script falls back to whatever backend is set.
    const env = { ...pythonEnv, KERAS_BACKEND: process.env.KERAS_BACKEND ?? 'jax' };
    const { code, stderr, stdout } = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = spawn(lookup.python!, [script, ...missing], { env });
      let err = '';
      let out = '';
      child.stderr.on('data', (d) => (err += d));
      child.stdout.on('data', (d) => (out += d));
      child.on('close', (c) => resolve({ code: c, stderr: err, stdout: out }));
      child.on('error', (e) => resolve({ code: -1, stderr: String(e), stdout: out }));
    });
    if (code !== 0) return `${script} failed (exit ${code}) generating ${missing.join(', ')}: ${stderr.slice(-2000)}`;
    console.log(`generated ${missing.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s:\n${stdout.trim()}`);
    return undefined;
  })();
  return generation;
}

for (const name of models) {
  test.serial(`Keras' ${name} (.keras and .h5) loads and predicts what Keras predicts`, async (t) => {
    // The first test waits for the generation of every missing model (about 10-20 s each on a quiet machine).
    t.timeout(30 * 60 * 1000);
    const problem = await generateMissing();
    if (problem && !existsSync(recordPath(name))) {
      if (inCI) t.fail(problem);
      else {
        t.log(`skipped: ${problem}`);
        t.pass();
      }
      return;
    }
    const record: SavedPrediction = JSON.parse(readFileSync(recordPath(name), 'utf8'));
    const x = kiln.tensor(Float32Array.from(record.inputs.values), record.inputs.shape);
    for (const extension of ['keras', 'h5']) {
      const started = Date.now();
      const model = await kiln.models.loadModel(`${directory}${name}.${extension}`);
      const loaded = Date.now();
      const y = await model.predict(x, { verbose: 0 });
      t.deepEqual(y.shape, record.outputs.shape);
      t.is(model.countParams(), record.params, `${name}.${extension}: the parameter count is Keras'`);
      t.is(model.optimizer, undefined, 'an uncompiled Keras model loads uncompiled');
      const difference = relativeDifference(y.dataSync(), record.outputs.values);
      t.log(`${name}.${extension}: load ${loaded - started} ms, predict ${Date.now() - loaded} ms, relative difference ${difference.toExponential(2)} (Keras generated it in ${record.seconds} s)`);
      t.true(difference < 1e-4, `${name}.${extension}: kiln's predictions differ from Keras' by ${difference} of the output's scale`);
    }
  });
}
