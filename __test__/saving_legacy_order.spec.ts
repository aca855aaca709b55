// Legacy .h5 weights whose layer names are not the model's (Keras' published ImageNet files of
// the keras-applications era) load by layer order, as Keras 3 reads them, with Keras' refusals.
// Regenerate the fixture with scripts/fixtures/keras_legacy_h5_order.py.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import { findKerasPython, pythonEnv } from './helpers/python.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixture: any = JSON.parse(readFileSync(new URL('./fixtures/keras_legacy_order.json', import.meta.url), 'utf8'));
const file = fileURLToPath(new URL(`./fixtures/${fixture.file}`, import.meta.url));

/** The fixture's architecture with kiln's default names; `change` alters it for the refusals. */
function build(change: { secondBias?: boolean; firstFilters?: number; extraDense?: boolean } = {}): kiln.Model {
  const inputs = kiln.Input({ shape: [6, 6, 2] });
  let h = new kiln.layers.Conv2D(change.firstFilters ?? 4, 3, { padding: 'same' }).apply(inputs) as kiln.SymbolicTensor;
  h = new kiln.layers.BatchNormalization({ axis: 3 }).apply(h) as kiln.SymbolicTensor;
  h = new kiln.layers.Activation('relu').apply(h) as kiln.SymbolicTensor;
  h = new kiln.layers.Conv2D(3, 1, { useBias: change.secondBias ?? false }).apply(h) as kiln.SymbolicTensor;
  h = new kiln.layers.GlobalAveragePooling2D().apply(h) as kiln.SymbolicTensor;
  if (change.extraDense) h = new kiln.layers.Dense(3).apply(h) as kiln.SymbolicTensor;
  return new kiln.Model({ inputs, outputs: new kiln.layers.Dense(5).apply(h) as kiln.SymbolicTensor });
}

test('a legacy .h5 file with other layer names loads by order and predicts what Keras predicts', async (t) => {
  const model = build();
  t.false(model.layers.some((l) => fixture.file_layers.includes(l.name)));
  await model.loadWeights(file);
  const want = [fixture.y].flat(Infinity as 1) as number[];
  const got = Array.from((await model.predict(kiln.tensor(fixture.x))).dataSync());
  const scale = Math.max(...want.map(Math.abs));
  const worst = Math.max(...want.map((w, i) => Math.abs(got[i] - w)));
  t.true(worst <= 1e-5 * scale, `max error ${worst} vs scale ${scale}`);
  // The batch normalisation's moving statistics came from the file too.
  const bn = model.layers.find((l) => l instanceof kiln.layers.BatchNormalization)!;
  t.deepEqual(
    Array.from(bn.getWeights()[2].dataSync()).map((v) => Number(v.toFixed(5))),
    [-0.5, -0.16667, 0.16667, 0.5],
  );
});

test('order-based loading refuses what Keras refuses, naming both layers, and leaves the model as it was', async (t) => {
  const extra = build({ extraDense: true });
  await t.throwsAsync(extra.loadWeights(file), { instanceOf: kiln.FileFormatError, message: /Layer count mismatch when loading weights from file\. Model expected 5 layers, found 4 saved layers\./ });
  const biased = build({ secondBias: true });
  const before = biased.getWeights().map((w) => Array.from(w.dataSync()));
  await t.throwsAsync(biased.loadWeights(file), {
    instanceOf: kiln.FileFormatError,
    message: /Weight count mismatch for layer #2 \(named conv2d(_\d+)? in the current model, res2a_branch2a in the save file\)\. Layer expects 2 weight\(s\)\. Received 1 saved weight\(s\)/,
  });
  const wide = build({ firstFilters: 5 });
  await t.throwsAsync(wide.loadWeights(file), {
    instanceOf: kiln.FileFormatError,
    message: /Shape mismatch in layer #0 \(named conv2d(_\d+)?\) for weight conv2d(_\d+)?\/kernel\. Weight expects shape \[3, 3, 2, 5\]\. Received saved weight with shape \[3, 3, 2, 4\]/,
  });
  // Nothing was assigned before the refusal.
  t.deepEqual(
    biased.getWeights().map((w) => Array.from(w.dataSync())),
    before,
  );
});

test.serial("Keras' MobileNet weights under keras-applications' auto-generated layer names load into kiln.applications.MobileNet by order", async (t) => {
  t.timeout(10 * 60 * 1000);
  // Generated once into the shared cache by the committed script (a 2 MB file, not committed).
  const directory = fileURLToPath(new URL('../.kiln-tmp/legacy_order/', import.meta.url));
  const record = `${directory}mobilenet_renamed.json`;
  if (!existsSync(record)) {
    const { python, reason } = findKerasPython();
    if (!python) {
      if (process.env.KILN_TEST_PYTHON) t.fail(reason);
      else t.log(`skipped: ${reason}`), t.pass();
      return;
    }
    const script = fileURLToPath(new URL('../scripts/fixtures/keras_legacy_h5_order.py', import.meta.url));
    const run = spawnSync(python, [script, '--mobilenet', directory], { encoding: 'utf8', env: { ...pythonEnv, KERAS_BACKEND: 'jax' } });
    if (run.status !== 0) return t.fail(`${script} failed (${run.status}): ${run.stderr.slice(-2000)}`);
  }
  const saved = JSON.parse(readFileSync(record, 'utf8'));
  const model = await kiln.applications.MobileNet({ weights: `${directory}mobilenet_renamed.h5`, alpha: 0.25, includeTop: false, pooling: 'avg', inputShape: [128, 128, 3] });
  t.false(
    model.layers.some((l) => saved.file_layers.includes(l.name)),
    'no layer name matches the file',
  );
  const y = await model.predict(kiln.tensor(Float32Array.from(saved.inputs.values), saved.inputs.shape), { verbose: 0 });
  const want: number[] = saved.outputs.values;
  const got = y.dataSync();
  const scale = Math.max(...want.map(Math.abs));
  const worst = Math.max(...want.map((w, i) => Math.abs(got[i] - w)));
  t.log(`MobileNet by order: max error ${worst.toExponential(2)} of scale ${scale.toExponential(2)}`);
  t.true(worst <= 1e-4 * scale, `max error ${worst} vs scale ${scale}`);
});
