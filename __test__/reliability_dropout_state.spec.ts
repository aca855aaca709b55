// The dropout stream is saved with the model: fit one epoch, save, fit one more epoch gives the
// same weights as loading that file and fitting one epoch (with Dropout, whose masks come from
// the stream). Keras ignores the `kiln` key of metadata.json that carries it. Serial: setSeed
// restarts every engine's stream, so a concurrent test calling it would change the masks.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import * as kiln from 'kiln-nn';

const directory = mkdtempSync(join(tmpdir(), 'kiln-dropout-state-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

function data(): { x: kiln.Tensor; y: kiln.Tensor } {
  const x = Array.from({ length: 64 }, (_, i) => Array.from({ length: 6 }, (_, j) => Math.sin(i * 0.7 + j)));
  const y = x.map((row) => [row.reduce((a, b) => a + b, 0) > 0 ? 1 : 0]);
  return { x: kiln.tensor(x), y: kiln.tensor(y) };
}

test.serial('a loaded model with Dropout continues training exactly as the saved one (.keras)', async (t) => {
  kiln.setSeed(11);
  const model = new kiln.Sequential([new kiln.layers.Dense(16, { activation: 'relu', inputShape: [6] }), new kiln.layers.Dropout(0.5), new kiln.layers.Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  const { x, y } = data();
  const options = { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 } as const;
  await model.fit(x, y, options);
  const file = join(directory, 'dropout.keras');
  await model.save(file);
  const metadata = JSON.parse(Buffer.from(unzipSync(readFileSync(file))['metadata.json']).toString('utf8'));
  t.regex(metadata.kiln.dropout_state, /^[0-9a-f]{64}$/);

  await model.fit(x, y, options);
  const loaded = await kiln.models.loadModel(file);
  await loaded.fit(x, y, options);
  const expected = model.getWeights().map((w) => Array.from(w.dataSync()));
  const actual = loaded.getWeights().map((w) => Array.from(w.dataSync()));
  t.deepEqual(actual, expected);

  // Without the saved stream the masks differ, and so do the weights: the test can fail.
  const fresh = await kiln.models.loadModel(file);
  (fresh.compiledState() as { engine: () => { setDropoutState: (s: string) => void } }).engine().setDropoutState('1'.repeat(64));
  await fresh.fit(x, y, options);
  t.notDeepEqual(
    fresh.getWeights().map((w) => Array.from(w.dataSync())),
    expected,
  );
});

test.serial('a malformed saved dropout state is a FileFormatError naming the file', async (t) => {
  const { zipSync, strToU8 } = await import('fflate');
  kiln.setSeed(12);
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const file = join(directory, 'bad-state.keras');
  await model.save(file);
  const entries = unzipSync(readFileSync(file));
  const metadata = JSON.parse(Buffer.from(entries['metadata.json']).toString('utf8'));
  metadata.kiln = { dropout_state: 'zz' };
  const bad = join(directory, 'bad-state-edited.keras');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(bad, zipSync({ ...entries, 'metadata.json': strToU8(JSON.stringify(metadata)) }));
  await t.throwsAsync(kiln.models.loadModel(bad), { instanceOf: kiln.FileFormatError, message: new RegExp(`^${bad}: metadata.json's "kiln.dropout_state" must be 64 hex digits, got "zz"$`) });
});

test.serial('a loaded legacy .h5 model with Dropout continues training exactly as the saved one', async (t) => {
  kiln.setSeed(13);
  const model = new kiln.Sequential([new kiln.layers.Dense(16, { activation: 'relu', inputShape: [6] }), new kiln.layers.Dropout(0.4), new kiln.layers.Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: 'rmsprop', loss: 'binaryCrossentropy' });
  const { x, y } = data();
  const options = { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 } as const;
  await model.fit(x, y, options);
  const file = join(directory, 'dropout.h5');
  await model.save(file);
  await model.fit(x, y, options);
  const loaded = await kiln.models.loadModel(file);
  await loaded.fit(x, y, options);
  t.deepEqual(
    loaded.getWeights().map((w) => Array.from(w.dataSync())),
    model.getWeights().map((w) => Array.from(w.dataSync())),
  );
});
