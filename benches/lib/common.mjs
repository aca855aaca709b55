// Shared helpers for the Node benchmark scripts (kiln-nn and TensorFlow.js peers).
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';

export const FMNIST_DIRS = [process.env.FASHION_MNIST_DIR, '/usr/share/datasets/fashion-mnist'].filter(Boolean);

export function findFashionMnistDir() {
  for (const d of FMNIST_DIRS) if (existsSync(join(d, 'train-images-idx3-ubyte.gz'))) return d;
  throw new Error(`Fashion-MNIST IDX gz files not found in ${FMNIST_DIRS.join(', ')}; ` + `install the apt package dataset-fashion-mnist or set FASHION_MNIST_DIR`);
}

/** Reads one IDX (gz) file: { dims, data: Uint8Array }. */
export function readIdx(file) {
  const buf = gunzipSync(readFileSync(file));
  const ndim = buf[3];
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const off = 4 + 4 * ndim;
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + off, buf.length - off) };
}

/** Fashion-MNIST as raw uint8 arrays with Keras' shapes. */
export function loadFashionMnistRaw(dir = findFashionMnistDir()) {
  const r = (n) => readIdx(join(dir, n));
  return {
    train: { x: r('train-images-idx3-ubyte.gz'), y: r('train-labels-idx1-ubyte.gz') },
    test: { x: r('t10k-images-idx3-ubyte.gz'), y: r('t10k-labels-idx1-ubyte.gz') },
  };
}

/** Minimal --key value / --flag argument parser. */
export function parseArgs(argv = process.argv.slice(2), defaults = {}) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    let key, val;
    if (eq > 0) {
      key = a.slice(2, eq);
      val = a.slice(eq + 1);
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      key = a.slice(2);
      val = argv[++i];
    } else {
      key = a.slice(2);
      val = 'true';
    }
    key = key.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const d = defaults[key];
    out[key] = typeof d === 'number' ? Number(val) : typeof d === 'boolean' ? val !== 'false' : val;
  }
  return out;
}

export function median(xs) {
  const s = xs.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round = (v, d = 2) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);

export function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

export const now = () => performance.now() / 1000;

/**
 * The generated data of the seed RNN (workload 4), identical in every script (peers/common.py
 * `rnn_data` computes the same numbers): x uniform in [0, 1) of shape [n, steps, features] and
 * 0/1 labels of shape [n, 1], both float32, from a counter-based hash (lowbias32) of the
 * element's index and the seed, so no file or shared RNG is needed.
 */
export function rnnData(n = 10000, steps = 10, features = 20, seed = 1) {
  const hash = (i) => {
    let h = (i ^ Math.imul(seed, 0x9e3779b9)) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b) >>> 0;
    h ^= h >>> 16;
    return h >>> 0;
  };
  const size = n * steps * features;
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = (hash(i) >>> 8) / 16777216; // 24 bits: exact in float32
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = hash(size + i) >>> 31;
  return { x, y, shapeX: [n, steps, features], shapeY: [n, 1] };
}
