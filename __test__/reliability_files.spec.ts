// Issue 13: loading is bounded. Only regular files are opened (a symlink to /dev/zero or a
// FIFO is refused at once instead of being read or waited on forever); zip entries may not
// declare far more than the archive holds; a config may not create weights beyond what its
// weights file holds; an HDF5 dataset named many times is read once.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import * as kiln from 'kiln-nn';
import { runChild } from './helpers/child_process.js';
import { findPython, runPython } from './helpers/python.js';

const directory = mkdtempSync(join(tmpdir(), 'kiln-reliability-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

async function savedModel(name: string): Promise<string> {
  kiln.setSeed(2);
  const model = new kiln.Sequential([new kiln.layers.Dense(3, { activation: 'relu', inputShape: [4] }), new kiln.layers.Dense(2)]);
  const file = join(directory, name);
  await model.save(file);
  return file;
}

test('a symlink to /dev/zero is refused at once, as .keras and as .h5', async (t) => {
  for (const extension of ['.keras', '.h5', '.weights.h5']) {
    const link = join(directory, `zero${extension}`);
    symlinkSync('/dev/zero', link);
    const model = extension === '.weights.h5' ? await savedModelInstance() : undefined;
    const started = Date.now();
    const load = model ? model.loadWeights(link) : kiln.models.loadModel(link);
    await t.throwsAsync(load, { instanceOf: kiln.FileFormatError, message: /it is a character device, not a regular file/ });
    t.true(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  }
});

async function savedModelInstance(): Promise<kiln.Model> {
  return kiln.models.loadModel(await savedModel(`instance${Math.random()}.keras`));
}

test('a FIFO is refused at once instead of blocking the process', async (t) => {
  const fifo = join(directory, 'pipe.keras');
  try {
    execFileSync('mkfifo', [fifo]);
  } catch {
    t.pass('mkfifo is not available here');
    return;
  }
  // In a child: before the fix the read blocked forever (and the event loop with it).
  const result = await runChild(`try { await kiln.models.loadModel(${JSON.stringify(fifo)}); console.log('loaded'); } catch (e) { console.log(e.name + ': ' + e.message); }`, 30_000);
  t.false(result.timedOut, 'loadModel blocked on the FIFO');
  t.regex(result.stdout, /FileFormatError: .*it is a FIFO \(named pipe\), not a regular file/);
});

test('a zip bomb is refused before anything is inflated', async (t) => {
  const valid = unzipSync(readFileSync(await savedModel('bomb-base.keras')));
  // 64 MB of zeros deflates to ~64 KB: a ratio of ~1000, far past what weights compress to.
  const bomb = zipSync({ ...valid, 'model.weights.h5': [new Uint8Array(64 * 2 ** 20), { level: 9 }] });
  const file = join(directory, 'bomb.keras');
  writeFileSync(file, bomb);
  const started = Date.now();
  await t.throwsAsync(kiln.models.loadModel(file), { instanceOf: kiln.FileFormatError, message: /entries declare \d+ bytes, more than 100 times the archive's \d+ bytes \(a zip bomb\?\)/ });
  t.true(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
});

test('a .keras whose input declares [null, 1e9] is refused before its weights are drawn', async (t) => {
  const entries = unzipSync(readFileSync(await savedModel('wide-base.keras')));
  const config = JSON.parse(Buffer.from(entries['config.json']).toString('utf8'));
  const text = JSON.stringify(config).replace(/\[null,4\]/g, '[null,1000000000]');
  t.not(text, JSON.stringify(config), 'the saved config names the input shape [null, 4]');
  const file = join(directory, 'wide.keras');
  writeFileSync(file, zipSync({ ...entries, 'config.json': strToU8(text) }));
  const result = await runChild(
    `try { await kiln.models.loadModel(${JSON.stringify(file)}); console.log('loaded'); } catch (e) { console.log(e.name + ': ' + e.message); } console.log('rss', process.resourceUsage().maxRSS);`,
    60_000,
  );
  t.is(result.signal, null, result.stderr.slice(-1000));
  t.regex(result.stdout, /FileFormatError: .*makes weight '[^']+' of shape \[1000000000, 3\] \(12000000000 bytes\), beyond the \d+ bytes its weights file can hold/);
  const maxRssKiB = Number(/rss (\d+)/.exec(result.stdout)?.[1]);
  t.true(maxRssKiB < 1024 * 1024, `peak RSS ${maxRssKiB} KiB`);
});

const h5py = findPython(['h5py', 'numpy']);
const withH5py = 'python' in h5py ? test : test.skip;

withH5py('an HDF5 dataset named 64 times in weight_names is read once (bounded memory)', async (t) => {
  const file = await savedModel('named-many-times.h5');
  // A 64 MB compressed dataset of zeros, then the first layer's weight_names naming it 64 times.
  runPython(
    (h5py as { python: string }).python,
    `import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'r+') as f:
    layer = f['model_weights'][list(f['model_weights'].keys())[0]]
    group = layer.require_group('big')
    group.create_dataset('zeros', data=np.zeros((4096, 4096), 'float32'), compression='gzip', compression_opts=9)
    layer.attrs['weight_names'] = [b'big/zeros'] * 64
`,
    [file],
  );
  const result = await runChild(
    `try { await kiln.models.loadModel(${JSON.stringify(file)}); console.log('loaded'); } catch (e) { console.log(e.name + ': ' + e.message); } console.log('rss', process.resourceUsage().maxRSS);`,
    120_000,
  );
  t.is(result.signal, null, result.stderr.slice(-1000));
  t.regex(result.stdout, /FileFormatError/);
  // Read 64 times, the dataset alone would be 4 GiB; read once, 64 MiB (plus h5wasm's heap).
  const maxRssKiB = Number(/rss (\d+)/.exec(result.stdout)?.[1]);
  t.true(maxRssKiB < 1024 * 1024, `peak RSS ${maxRssKiB} KiB`);
});
