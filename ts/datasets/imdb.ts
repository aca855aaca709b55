/**
 * The IMDB movie reviews (50,000 reviews as word indices, sentiment 0/1), as `keras.datasets.imdb`.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { FileFormatError, ValueError } from '../errors.js';
import { tensor, type Tensor } from '../tensor.js';
import { numpyRandomState, numpyShuffle } from '../utils/mersenne_twister.js';
import { locateFile, type SingleFileSource } from './cached_file.js';
import { integerLists, numericValues, readNpzArrays } from './npz_arrays.js';
import type { LoadDataOptions } from './source.js';

/** Keras' return form for IMDB: reviews as lists of word indices, labels as int32 tensors. */
export type ImdbSplits = [[number[][], Tensor], [number[][], Tensor]];

/** Options of `imdb.loadData`, with Keras' defaults. */
export interface ImdbOptions extends LoadDataOptions {
  /** Keep the `numWords` most frequent words; others become `oovChar`. Default: all. */
  numWords?: number | null;
  /** Skip the `skipTop` most frequent words (they become `oovChar`). Default 0. */
  skipTop?: number;
  /** Drop reviews of `maxlen` words or more. Default: keep all. */
  maxlen?: number | null;
  /** The shuffle's seed (numpy's RandomState, as Keras). Default 113. */
  seed?: number;
  /** Marks the start of each review; null for none. Default 1. */
  startChar?: number | null;
  /** Replaces cut-out words; null drops them. Default 2. */
  oovChar?: number | null;
  /** Word indices are shifted up by this. Default 3. */
  indexFrom?: number;
}

const IMDB: SingleFileSource = {
  title: 'IMDB',
  file: { name: 'imdb.npz', hash: '69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f', checksumOf: 'file', maxBytes: 64 * 2 ** 20 },
};

const WORD_INDEX: SingleFileSource = {
  title: 'IMDB word index',
  file: { name: 'imdb_word_index.json', hash: 'bfafd718b763782e994055a2d397834f', checksumOf: 'file', maxBytes: 4 * 2 ** 20 },
};

/**
 * Loads the IMDB movie reviews (25,000 training and 25,000 test reviews, sentiment 0/1), as
 * `keras.datasets.imdb.load_data()` does: `[[xTrain, yTrain], [xTest, yTest]]` with the reviews as
 * arrays of word indices (index i is the i-th most frequent word, shifted by `indexFrom`) and
 * int32 label tensors. Both splits are shuffled with numpy's RandomState(seed), as Keras does.
 */
export async function loadData(options: ImdbOptions = {}): Promise<ImdbSplits> {
  const { skipTop = 0, seed = 113, indexFrom = 3 } = options;
  const startChar = options.startChar === undefined ? 1 : options.startChar;
  const oovChar = options.oovChar === undefined ? 2 : options.oovChar;
  for (const [name, value] of Object.entries({ skipTop, seed, indexFrom, numWords: options.numWords ?? 0, maxlen: options.maxlen ?? 0 })) {
    if (!Number.isInteger(value) || value < 0) throw new ValueError(`imdb.loadData: \`${name}\` must be a non-negative integer, got ${value}`);
  }
  const path = await locateFile(IMDB, options);
  const npz = await readNpzArrays(path, ['x_train', 'y_train', 'x_test', 'y_test']);
  const split = (x: string, y: string) => {
    const reviews = integerLists(npz.get(x)!, `${path}: ${x}`);
    const labels = Array.from(numericValues(npz.get(y)!, `${path}: ${y}`).values);
    if (labels.length !== reviews.length) throw new FileFormatError(`${path}: ${x} has ${reviews.length} reviews but ${y} has ${labels.length} labels`);
    return { reviews, labels };
  };
  const train = split('x_train', 'y_train');
  const test = split('x_test', 'y_test');

  // One generator shuffles both splits, in this order, as Keras does.
  const random = numpyRandomState(seed);
  for (const part of [train, test]) {
    const order = Array.from({ length: part.reviews.length }, (_, i) => i);
    numpyShuffle(order, random);
    part.reviews = order.map((i) => part.reviews[i]);
    part.labels = order.map((i) => part.labels[i]);
  }
  for (const part of [train, test]) {
    part.reviews = part.reviews.map((review) => {
      const shifted = review.map((word) => word + indexFrom);
      return startChar !== null ? [startChar, ...shifted] : shifted;
    });
  }
  if (options.maxlen) {
    for (const [part, name] of [
      [train, 'training'],
      [test, 'test'],
    ] as const) {
      const kept = part.reviews.map((review, i) => i).filter((i) => part.reviews[i].length < options.maxlen!);
      part.reviews = kept.map((i) => part.reviews[i]);
      part.labels = kept.map((i) => part.labels[i]);
      if (kept.length === 0) {
        throw new ValueError(`After filtering for sequences shorter than maxlen=${options.maxlen}, no sequence was kept in the ${name} set. Increase maxlen.`);
      }
    }
  }
  let numWords = options.numWords;
  if (!numWords) {
    numWords = 0;
    for (const review of [...train.reviews, ...test.reviews]) for (const word of review) numWords = Math.max(numWords, word);
  }
  const limit = numWords;
  const keepWord = (word: number) => skipTop <= word && word < limit;
  for (const part of [train, test]) {
    part.reviews = part.reviews.map((review) => (oovChar !== null ? review.map((word) => (keepWord(word) ? word : oovChar)) : review.filter(keepWord)));
  }
  const labelsOf = (labels: number[]) => tensor(Int32Array.from(labels), [labels.length], 'int32');
  return [
    [train.reviews, labelsOf(train.labels)],
    [test.reviews, labelsOf(test.labels)],
  ];
}

/**
 * The word-to-index dictionary of the IMDB reviews (`keras.datasets.imdb.get_word_index()`):
 * index 1 is the most frequent word. Indices in `loadData`'s reviews are these plus `indexFrom`.
 */
export async function getWordIndex(options: LoadDataOptions = {}): Promise<Record<string, number>> {
  const path = await locateFile(WORD_INDEX, options);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new FileFormatError(`${path} is not a valid JSON word index: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => Number.isInteger(v))) {
    throw new FileFormatError(`${path} must hold a JSON object mapping words to integer indices`);
  }
  return parsed as Record<string, number>;
}
