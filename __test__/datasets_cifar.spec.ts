import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import { cifarBatchPickle, cifarPixels, writeTarGz } from './helpers/cifar.js';
import { CLOSED_PORT_URL, serve, sha256, tempDir, withEnv } from './helpers/files.js';

// Tiny archives in CIFAR's format and what Keras' loaders return on them
// (scripts/fixtures/keras_datasets.py).
const FIXTURES = fileURLToPath(new URL('./fixtures/datasets/', import.meta.url));
const keras = JSON.parse(readFileSync(new URL('./fixtures/keras_datasets.json', import.meta.url), 'utf8'));

interface Summary {
  shape: number[];
  dtype: string;
  sha256: string;
  first: number[];
  sum: number;
}

/** Keras' int64 labels are int32 in kiln, which has no 64-bit integers. */
function matches(t: import('ava').ExecutionContext, tensor: kiln.Tensor, expected: Summary, what: string) {
  t.deepEqual(tensor.shape, expected.shape, `${what} shape`);
  t.is<string, string>(tensor.dtype, expected.dtype === 'int64' ? 'int32' : expected.dtype, `${what} dtype`);
  const values = Array.from(tensor.dataSync());
  if (expected.dtype === tensor.dtype) t.is(sha256(tensor.dataSync()), expected.sha256, `${what} bytes`);
  else t.true(expected.first.length === values.length, `${what}: every value is among the first values compared`);
  t.deepEqual(values.slice(0, 12), expected.first, `${what} first values`);
  t.is(
    values.reduce((a, b) => a + b, 0),
    expected.sum,
    `${what} sum`,
  );
}

const TRAIN_BATCHES = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'];

/** A CIFAR-10 archive of Python 2 pickles, as the real one: `perBatch` images per batch. */
async function python2Cifar10(dir: string, perBatch = 2, override: Record<string, Uint8Array> = {}) {
  const files: Record<string, Uint8Array> = {};
  const labels: number[][] = [];
  [...TRAIN_BATCHES, 'test_batch'].forEach((name, index) => {
    const batchLabels = Array.from({ length: perBatch }, (_, i) => (index * 3 + i) % 10);
    labels.push(batchLabels);
    files[`cifar-10-batches-py/${name}`] = cifarBatchPickle({ data: cifarPixels(perBatch, index), count: perBatch, labels: { labels: batchLabels } });
  });
  files['cifar-10-batches-py/readme.html'] = Buffer.from('<html></html>');
  Object.assign(files, override);
  const archive = join(dir, 'cifar-10-python.tar.gz');
  await writeTarGz(join(dir, 'src'), archive, files);
  return { archive, extracted: join(dir, 'src'), labels };
}

test('cifar10.loadData reads the python-version archive as keras.datasets.cifar10 does', async (t) => {
  const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.cifar10.loadData({ path: join(FIXTURES, 'cifar-10-python.tar.gz') });
  matches(t, xTrain, keras.cifar10.xTrain, 'xTrain');
  matches(t, yTrain, keras.cifar10.yTrain, 'yTrain');
  matches(t, xTest, keras.cifar10.xTest, 'xTest');
  matches(t, yTest, keras.cifar10.yTest, 'yTest');
});

test('cifar100.loadData gives the fine and coarse labels of keras.datasets.cifar100', async (t) => {
  for (const labelMode of ['fine', 'coarse'] as const) {
    const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.cifar100.loadData({ path: join(FIXTURES, 'cifar-100-python.tar.gz'), labelMode });
    const expected = keras.cifar100[labelMode];
    matches(t, xTrain, expected.xTrain, `${labelMode} xTrain`);
    matches(t, yTrain, expected.yTrain, `${labelMode} yTrain`);
    matches(t, xTest, expected.xTest, `${labelMode} xTest`);
    matches(t, yTest, expected.yTest, `${labelMode} yTest`);
  }
  await t.throwsAsync(kiln.datasets.cifar100.loadData({ path: join(FIXTURES, 'cifar-100-python.tar.gz'), labelMode: 'medium' as 'fine' }), {
    instanceOf: kiln.ValueError,
    message: /`labelMode` must be one of "fine", "coarse"\. Received: labelMode=medium/,
  });
});

test('the Python 2 pickles of the real archive load from the archive and from the extracted folder', async (t) => {
  const dir = await tempDir();
  const { archive, extracted, labels } = await python2Cifar10(dir, 3);
  for (const path of [archive, extracted, join(extracted, 'cifar-10-batches-py')]) {
    const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.cifar10.loadData({ path });
    t.deepEqual(xTrain.shape, [15, 32, 32, 3]);
    t.deepEqual(yTrain.shape, [15, 1]);
    t.deepEqual(xTest.shape, [3, 32, 32, 3]);
    t.is(yTrain.dtype, 'uint8');
    t.deepEqual(Array.from(yTrain.dataSync()), labels.slice(0, 5).flat());
    t.deepEqual(Array.from(yTest.dataSync()), labels[5]);
    // Channels last: x[i, row, col, c] is pixel (row, col) of channel plane c in the batch row.
    const x = xTrain.dataSync();
    const source = cifarPixels(3, 1); // data_batch_2
    for (const [image, row, col, channel] of [
      [0, 0, 0, 0],
      [1, 5, 7, 2],
      [2, 31, 31, 1],
    ]) {
      const got = x[(((3 + image) * 32 + row) * 32 + col) * 3 + channel];
      t.is(got, source[image * 3072 + channel * 1024 + row * 32 + col], `image ${3 + image} (${row}, ${col}, ${channel})`);
    }
  }
});

test('damaged CIFAR archives are FileFormatErrors naming the file', async (t) => {
  const dir = await tempDir();
  const { archive } = await python2Cifar10(dir);
  const bytes = await readFile(archive);
  const truncated = join(dir, 'truncated.tar.gz');
  await writeFile(truncated, bytes.subarray(0, bytes.length - 200));
  await t.throwsAsync(kiln.datasets.cifar10.loadData({ path: truncated }), { instanceOf: kiln.FileFormatError, message: /truncated\.tar\.gz is not a valid tar\.gz archive/ });

  const notTar = join(dir, 'text.tar.gz');
  await writeFile(notTar, 'hello');
  await t.throwsAsync(kiln.datasets.cifar10.loadData({ path: notTar }), { instanceOf: kiln.FileFormatError, message: /text\.tar\.gz is not a valid tar\.gz archive/ });

  const withoutTest = join(dir, 'no-test.tar.gz');
  const batch = cifarBatchPickle({ data: cifarPixels(1, 0), count: 1, labels: { labels: [4] } });
  await writeTarGz(join(dir, 'no-test-src'), withoutTest, Object.fromEntries(TRAIN_BATCHES.map((name) => [`cifar-10-batches-py/${name}`, batch])));
  await t.throwsAsync(kiln.datasets.cifar10.loadData({ path: withoutTest }), {
    instanceOf: kiln.FileFormatError,
    message: /no-test\.tar\.gz is not a CIFAR-10 archive: it lacks cifar-10-batches-py\/test_batch/,
  });

  const cases: [string, Uint8Array, RegExp][] = [
    ['garbage', Buffer.from('not a pickle at all'), /data_batch_1 is not a valid pickle file: opcode 0x6e/],
    ['cut', cifarBatchPickle({ data: cifarPixels(2, 0), count: 2, labels: { labels: [1, 2] } }).subarray(0, 300), /data_batch_1 is not a valid pickle file: truncated/],
    ['unsafe', cifarBatchPickle({ data: cifarPixels(2, 0), count: 2, labels: { labels: [1, 2] }, reconstructModule: 'os' }), /data_batch_1: refusing to load `os\._reconstruct`/],
    ['short', cifarBatchPickle({ data: cifarPixels(2, 0).subarray(0, 5000), count: 2, labels: { labels: [1, 2] } }), /data_batch_1: "data" must have shape \[n, 3072\].*5000 bytes/],
    ['labels', cifarBatchPickle({ data: cifarPixels(2, 0), count: 2, labels: { labels: [1] } }), /data_batch_1: "labels" must be a list of 2 integer labels/],
    ['key', cifarBatchPickle({ data: cifarPixels(2, 0), count: 2, labels: { fine_labels: [1, 2] } }), /data_batch_1 has no entry "labels" \(it has: data, fine_labels, batch_label\)/],
  ];
  for (const [name, batch, message] of cases) {
    const { archive: broken } = await python2Cifar10(join(dir, name), 2, { 'cifar-10-batches-py/data_batch_1': batch });
    const error = await t.throwsAsync(kiln.datasets.cifar10.loadData({ path: broken }), { instanceOf: kiln.FileFormatError }, name);
    t.regex(error!.message, message, name);
    t.true(error!.message.includes(broken), `${name}: the message names ${broken}`);
  }
  await t.throwsAsync(kiln.datasets.cifar10.loadData({ path: join(dir, 'nowhere.tar.gz') }), { instanceOf: kiln.FileFormatError, message: /CIFAR-10: the path .*nowhere\.tar\.gz does not exist/ });
});

test.serial('a cached CIFAR archive whose checksum does not match is deleted and reported', async (t) => {
  const cacheDir = await tempDir();
  const cached = join(cacheDir, 'cifar-10-python.tar.gz');
  await copyFile(join(FIXTURES, 'cifar-10-python.tar.gz'), cached);
  const error = await withEnv({ KILN_DATASETS_BASE_URL: CLOSED_PORT_URL }, () => t.throwsAsync(kiln.datasets.cifar10.loadData({ cacheDir }), { instanceOf: kiln.FileFormatError }));
  t.regex(error!.message, /the cached .*cifar-10-python\.tar\.gz is not the expected file: its SHA-256 is [0-9a-f]{64}, expected 6d958be074577803/);
  t.regex(error!.message, /it was deleted/);
  t.regex(error!.message, /put cifar-10-python\.tar\.gz \(SHA-256 6d958be0[0-9a-f]+\) at .*cifar-10-python\.tar\.gz/);
  t.regex(error!.message, /loadData\(\{ path: .* \(or the extracted cifar-10-batches-py directory\)/);
  t.false(existsSync(cached));
});

test.serial('a downloaded CIFAR archive is checked: a wrong one is deleted and reported', async (t) => {
  const tiny = await readFile(join(FIXTURES, 'cifar-100-python.tar.gz'));
  const { url, server, requests } = await serve({ 'cifar-100-python.tar.gz': tiny });
  try {
    const cacheDir = await tempDir();
    const error = await withEnv({ KILN_DATASETS_BASE_URL: url }, () => t.throwsAsync(kiln.datasets.cifar100.loadData({ cacheDir }), { instanceOf: kiln.FileFormatError }));
    t.deepEqual(requests, ['cifar-100-python.tar.gz']);
    t.regex(error!.message, /the download of .*cifar-100-python\.tar\.gz is not the expected file: its SHA-256 is [0-9a-f]{64}, expected 85cd44d02ba64377/);
    t.regex(error!.message, /The downloaded file was deleted/);
    t.deepEqual(await readdir(cacheDir), []);
  } finally {
    server.close();
  }
});
