// Damaged and hostile files: loadModel / loadWeights refuse each with a FileFormatError that
// says what is wrong, write nothing outside the target, and allocate no more than the file
// justifies.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strToU8, unzipSync, zipSync } from 'fflate';
import * as kiln from 'kiln-nn';

const directory = mkdtempSync(join(tmpdir(), 'kiln-hostile-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

let counter = 0;
/** Writes `bytes` to a fresh file with `extension` and returns its path. */
function fileWith(bytes: Uint8Array | string, extension: string): string {
  const file = join(directory, `case${counter++}${extension}`);
  writeFileSync(file, bytes);
  return file;
}

/** A valid .keras file of a small trained MLP, and its entries. */
async function validKeras(): Promise<{ bytes: Buffer; entries: Record<string, Uint8Array> }> {
  kiln.setSeed(1);
  const model = new kiln.Sequential([new kiln.layers.Dense(3, { activation: 'relu', inputShape: [4] }), new kiln.layers.Dense(2)]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  await model.fit(kiln.random.uniform([8, 4]), kiln.random.uniform([8, 2]), { epochs: 1, verbose: 0 });
  const file = join(directory, `valid${counter++}.keras`);
  await model.save(file);
  const bytes = readFileSync(file);
  return { bytes, entries: unzipSync(bytes) };
}

/** The archive with `config.json` edited by `edit`. */
function withConfig(entries: Record<string, Uint8Array>, edit: (config: Record<string, any>) => void): Uint8Array {
  const config = JSON.parse(Buffer.from(entries['config.json']).toString('utf8'));
  edit(config);
  return zipSync({ ...entries, 'config.json': strToU8(JSON.stringify(config)) });
}

async function refused(t: import('ava').ExecutionContext, file: string, message: RegExp): Promise<void> {
  await t.throwsAsync(kiln.models.loadModel(file), { instanceOf: kiln.FileFormatError, message });
}

test('empty, non-zip, truncated and missing .keras files', async (t) => {
  await refused(t, fileWith(new Uint8Array(0), '.keras'), /is empty \(0 bytes\)/);
  await refused(t, fileWith('this is plain text, not a model', '.keras'), /is not a zip archive/);
  const { bytes } = await validKeras();
  await refused(t, fileWith(bytes.subarray(0, Math.floor(bytes.length / 2)), '.keras'), /not a valid zip archive \(truncated or corrupted\?\)/);
  await refused(t, fileWith(bytes.subarray(0, 200), '.keras'), /not a valid zip archive/);
  await refused(t, join(directory, 'nothing-here.keras'), /No file or directory found/);
});

test('a .keras file whose parts are missing or corrupted', async (t) => {
  const { entries } = await validKeras();
  const { 'config.json': _config, ...noConfig } = entries;
  await refused(t, fileWith(zipSync(noConfig), '.keras'), /has no config\.json/);
  const { 'model.weights.h5': _weights, ...noWeights } = entries;
  await refused(t, fileWith(zipSync(noWeights), '.keras'), /has no model\.weights\.h5/);
  await refused(t, fileWith(zipSync({ ...entries, 'config.json': strToU8('{"class_name": "Sequential", "config": ') }), '.keras'), /config\.json is not valid JSON/);
  // HDF5 bytes with their superblock destroyed, and cut short.
  const broken = Uint8Array.from(entries['model.weights.h5']);
  broken.fill(0x41, 8, 200);
  await refused(t, fileWith(zipSync({ ...entries, 'model.weights.h5': broken }), '.keras'), /model\.weights\.h5\) cannot be read as HDF5/);
  const cut = entries['model.weights.h5'].subarray(0, 1200);
  await refused(t, fileWith(zipSync({ ...entries, 'model.weights.h5': cut }), '.keras'), /model\.weights\.h5\)/);
  await refused(t, fileWith(zipSync({ ...entries, 'model.weights.h5': strToU8('not hdf5') }), '.keras'), /is not an HDF5 file/);
});

test("zip entries with '../' or absolute paths are refused and nothing is written outside", async (t) => {
  const { entries } = await validKeras();
  const target = join(directory, 'escape', 'model.keras');
  for (const name of ['../evil.txt', '../../evil.txt', 'assets/../../evil.txt', '/tmp/evil.txt']) {
    const file = fileWith(zipSync({ ...entries, [name]: strToU8('pwned') }), '.keras');
    await refused(t, file, /has an unsafe path/);
  }
  t.false(existsSync(join(directory, 'evil.txt')));
  t.false(existsSync(join(directory, '..', 'evil.txt')));
  t.false(existsSync(target));
});

/** Sets the uncompressed size of every entry (local and central headers) to `size`. */
function declareSize(archive: Uint8Array, size: number): Uint8Array {
  const out = Buffer.from(archive);
  for (let i = 0; i + 4 <= out.length; i++) {
    const signature = out.readUInt32LE(i);
    if (signature === 0x04034b50) out.writeUInt32LE(size, i + 22);
    if (signature === 0x02014b50) out.writeUInt32LE(size, i + 24);
  }
  return out;
}

test('entries declaring sizes the archive cannot hold are refused before inflating', async (t) => {
  const small = zipSync({ 'config.json': [strToU8('{"a": 1}'.repeat(50)), { level: 6 }] });
  await refused(t, fileWith(declareSize(small, 0xfffffff0), '.keras'), /declares 4294967280 bytes, more than its \d+ stored bytes can hold/);
  const stored = zipSync({ 'config.json': [strToU8('{}'), { level: 0 }] });
  await refused(t, fileWith(declareSize(stored, 1_000_000), '.keras'), /declares 1000000 bytes/);
});

test('an HDF5 dataset declaring more data than the file holds is refused before reading', async (t) => {
  // 100000 x 100000 float32 (40 GB) declared in a 10 KB file: written by scripts/fixtures/keras_saving.py.
  const huge = fileURLToPath(new URL('./fixtures/saving/hostile_huge_dataset.weights.h5', import.meta.url));
  const model = new kiln.Sequential([new kiln.layers.Dense(10, { inputShape: [4] })]);
  await t.throwsAsync(model.loadWeights(huge), { instanceOf: kiln.FileFormatError, message: /declares shape \[100000, 100000\] \(40000000000 bytes\), more than the \d+-byte file can hold/ });
});

test('configs naming unknown classes or holding bad values', async (t) => {
  const { entries } = await validKeras();
  const unknownLayer = withConfig(entries, (c) => (c.config.layers[1].class_name = 'NoSuchLayer'));
  await refused(t, fileWith(unknownLayer, '.keras'), /Could not locate layer class 'NoSuchLayer'/);
  const unknownModel = withConfig(entries, (c) => (c.class_name = 'Mystery'));
  await refused(t, fileWith(unknownModel, '.keras'), /unknown model class 'Mystery'/);
  const unknownOptimizer = withConfig(entries, (c) => (c.compile_config.optimizer.class_name = 'Teleport'));
  await refused(t, fileWith(unknownOptimizer, '.keras'), /Could not locate optimizer class 'Teleport'/);
  const badUnits = withConfig(entries, (c) => (c.config.layers[1].config.units = -3));
  await refused(t, fileWith(badUnits, '.keras'), /layer 'dense\w*' \(Dense\) cannot be loaded: .*units/);
  const unknownRegularizer = withConfig(entries, (c) => (c.config.layers[1].config.activity_regularizer = { module: 'keras.regularizers', class_name: 'L7', config: { l7: 0.1 } }));
  await refused(t, fileWith(unknownRegularizer, '.keras'), /Could not locate regularizer class 'L7'/);
  const withProto = Buffer.from(entries['config.json']).toString('utf8').replace('"units":', '"__proto__": {"polluted": true}, "units":');
  await refused(t, fileWith(zipSync({ ...entries, 'config.json': strToU8(withProto) }), '.keras'), /holds the key '__proto__'/);
  t.is(({} as Record<string, unknown>).polluted, undefined);
  const noLayers = withConfig(entries, (c) => delete c.config.layers);
  await refused(t, fileWith(noLayers, '.keras'), /has no `layers` list/);
  const notAnObject = withConfig(entries, (c) => (c.config.layers[1] = 'Dense'));
  await refused(t, fileWith(notAnObject, '.keras'), /layer 1 of the model config is not a serialised layer/);
});

test('weights of the wrong shape or count are refused, and the model keeps its weights', async (t) => {
  const { entries } = await validKeras();
  // The first Dense gets 4 units in the config, but the file holds weights for 3.
  const wider = withConfig(entries, (c) => (c.config.layers[1].config.units = 4));
  await refused(t, fileWith(wider, '.keras'), /weight 'kernel' of layer 'dense\w*' has shape \[4, 3\] in the file, but the layer expects \[4, 4\]/);
  const model = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [4] }), new kiln.layers.Dense(5)]);
  const before = model.getWeights().map((w) => Array.from(w.dataSync()));
  const weightsFile = fileWith(entries['model.weights.h5'], '.weights.h5');
  await t.throwsAsync(model.loadWeights(weightsFile), { instanceOf: kiln.FileFormatError, message: /has shape \[3, 2\] in the file, but the layer expects \[3, 5\]/ });
  t.deepEqual(
    model.getWeights().map((w) => Array.from(w.dataSync())),
    before,
    'a refused file changes no weight',
  );
  const deeper = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [4] }), new kiln.layers.Dense(2), new kiln.layers.Dense(2)]);
  await t.throwsAsync(deeper.loadWeights(weightsFile), { instanceOf: kiln.FileFormatError, message: /layer 'dense\w*' expected 2 variables, but received 0/ });
});

test('empty, non-HDF5 and truncated .h5 files', async (t) => {
  await refused(t, fileWith(new Uint8Array(0), '.h5'), /is empty \(0 bytes\)/);
  await refused(t, fileWith('{"class_name": "Sequential"}', '.h5'), /is not an HDF5 file/);
  const { entries } = await validKeras();
  await refused(t, fileWith(entries['model.weights.h5'].subarray(0, 600), '.h5'), /cannot be read as HDF5|cannot read/);
  // A valid HDF5 file that is a weights file, not a whole model.
  await refused(t, fileWith(entries['model.weights.h5'], '.h5'), /has no model config: it holds weights only/);
  await t.throwsAsync(kiln.models.loadModel(join(directory, 'model.onnx')), { instanceOf: kiln.ValueError, message: /File format not supported/ });
});
