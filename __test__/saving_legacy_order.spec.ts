// Legacy .h5 weights whose layer names are not the model's (Keras' published ImageNet files of
// the keras-applications era) load by layer order, as Keras 3 reads them, with Keras' refusals.
// Regenerate the fixture with scripts/fixtures/keras_legacy_h5_order.py.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';

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
  t.deepEqual(Array.from(bn.getWeights()[2].dataSync()).map((v) => Number(v.toFixed(5))), [-0.5, -0.16667, 0.16667, 0.5]);
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
  await t.throwsAsync(wide.loadWeights(file), { instanceOf: kiln.FileFormatError, message: /Shape mismatch in layer #0 \(named conv2d(_\d+)?\) for weight conv2d(_\d+)?\/kernel\. Weight expects shape \[3, 3, 2, 5\]\. Received saved weight with shape \[3, 3, 2, 4\]/ });
  // Nothing was assigned before the refusal.
  t.deepEqual(biased.getWeights().map((w) => Array.from(w.dataSync())), before);
});
