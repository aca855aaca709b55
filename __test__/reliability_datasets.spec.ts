// Dataset files cannot make kiln allocate without bound: a gzipped IDX file inflates no further
// than its header declares (nor past 100 times its size), and an .npz whose arrays declare more
// than 100 times its size is refused before anything is inflated. Each is loaded in a child
// process whose peak RSS is checked.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { runChild } from './helpers/child_process.js';
import { npy } from './helpers/npz.js';

const directory = mkdtempSync(join(tmpdir(), 'kiln-dataset-bombs-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

function idxHeader(shape: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((dim, axis) => header.writeUInt32BE(dim, 4 + 4 * axis));
  return header;
}

/** About 1 MB of gzip: the header as one gzip member, then 64 members of 16 MB of zeros (1 GiB in all). */
function idxGzipBomb(shape: number[]): Buffer {
  const zeros = gzipSync(Buffer.alloc(16 * 2 ** 20), { level: 9 });
  return Buffer.concat([gzipSync(idxHeader(shape)), ...Array.from({ length: 64 }, () => zeros)]);
}

const PEAK = `console.log('peak', Math.round(process.resourceUsage().maxRSS / 1024));`;

for (const [name, shape, message] of [
  // The header declares what the data really holds (1 GiB): refused before inflating.
  ['honest', [1024, 1024, 1024], /its header declares 1073741840 bytes, more than 100 times its \d+ gzipped bytes \(a gzip bomb\?\)/],
  // The header declares 47 MB (MNIST's size), the data goes on to 1 GiB: stopped at 47 MB.
  ['lying', [60000, 28, 28], /inflates to more than the 47040016 bytes its header declares \(a gzip bomb\?\)/],
] as const) {
  test(`four 1 MB IDX .gz bombs (${name} header) are refused with peak RSS under 500 MiB`, async (t) => {
    const dir = join(directory, name);
    mkdirSync(dir);
    const bomb = idxGzipBomb([...shape]);
    t.true(bomb.length < 1.2e6, `the bomb has ${bomb.length} bytes`);
    for (const file of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) writeFileSync(join(dir, file), bomb);
    const started = Date.now();
    const result = await runChild(
      `try { await kiln.datasets.mnist.loadData({ path: ${JSON.stringify(dir)} }); console.log('loaded'); } catch (e) { console.log(e.name + ': ' + e.message); }\n${PEAK}`,
      60_000,
    );
    t.is(result.signal, null, result.stderr.slice(-1000));
    t.regex(result.stdout, /^FileFormatError: /);
    t.regex(result.stdout, message);
    const peak = Number(/peak (\d+)/.exec(result.stdout)?.[1]);
    t.log(`peak RSS ${peak} MiB, ${Date.now() - started} ms`);
    t.true(peak < 500, `peak RSS ${peak} MiB`);
  });
}

test('a deflated .npz whose arrays declare 1,000 times its size is refused at once, with peak RSS under 300 MiB', async (t) => {
  const zeros = npy(new Uint8Array(64 * 2 ** 20), [64 * 2 ** 10, 1024]);
  const labels = npy(new Uint8Array(64 * 2 ** 10), [64 * 2 ** 10]);
  const archive = zipSync({ 'x_train.npy': [zeros, { level: 9 }], 'y_train.npy': labels, 'x_test.npy': [zeros, { level: 9 }], 'y_test.npy': labels });
  const file = join(directory, 'mnist.npz');
  writeFileSync(file, archive);
  const started = Date.now();
  const result = await runChild(
    `try { await kiln.datasets.mnist.loadData({ path: ${JSON.stringify(file)} }); console.log('loaded'); } catch (e) { console.log(e.name + ': ' + e.message); }\n${PEAK}`,
    60_000,
  );
  t.is(result.signal, null, result.stderr.slice(-1000));
  t.regex(result.stdout, /^FileFormatError: .*mnist\.npz is not a valid \.npz \(zip\) file: its arrays declare \d+ bytes \(x_t\w+\.npy: \d+\), more than 100 times its \d+ bytes \(a zip bomb\?\)/);
  const peak = Number(/peak (\d+)/.exec(result.stdout)?.[1]);
  t.log(`peak RSS ${peak} MiB, ${Date.now() - started} ms for a ${archive.length}-byte file`);
  t.true(peak < 300, `peak RSS ${peak} MiB`);
});
