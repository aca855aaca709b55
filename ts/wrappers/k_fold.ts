// The cross-validation splits of scikit-learn's KFold and StratifiedKFold (without shuffling):
// the same test folds, sample for sample, so a search here and GridSearchCV there agree.
import { ValueError } from '../errors.js';

/** One split: the rows that train and the rows that score. */
export interface Fold {
  /** The rows that train. */
  train: number[];
  /** The rows that score. */
  test: number[];
}

function checkSplits(nSplits: number, nSamples: number): void {
  if (!Number.isInteger(nSplits) || nSplits < 2) {
    throw new ValueError(`cv: k-fold cross-validation requires at least one train/test split by setting n_splits=2 or more, got n_splits=${nSplits}`);
  }
  if (nSplits > nSamples) {
    throw new ValueError(`cv: Cannot have number of splits n_splits=${nSplits} greater than the number of samples: n_samples=${nSamples}`);
  }
}

/** Folds from each sample's test-fold number. */
function foldsFrom(testFold: Int32Array, nSplits: number): Fold[] {
  return Array.from({ length: nSplits }, (_, k) => {
    const fold: Fold = { train: [], test: [] };
    testFold.forEach((f, i) => (f === k ? fold.test : fold.train).push(i));
    return fold;
  });
}

/**
 * scikit-learn's KFold(n_splits): consecutive test folds, the first n % nSplits of them one
 * sample larger.
 */
export function kFold(nSamples: number, nSplits: number): Fold[] {
  checkSplits(nSplits, nSamples);
  const testFold = new Int32Array(nSamples);
  let start = 0;
  for (let k = 0; k < nSplits; k++) {
    const size = Math.floor(nSamples / nSplits) + (k < nSamples % nSplits ? 1 : 0);
    testFold.fill(k, start, start + size);
    start += size;
  }
  return foldsFrom(testFold, nSplits);
}

/**
 * scikit-learn's StratifiedKFold(n_splits) without shuffling: each class, numbered in order of
 * first appearance, is dealt to the folds round-robin over the sorted labels, and its samples
 * fill the folds in blocks in data order, so each test fold keeps the class proportions.
 */
export function stratifiedKFold(labels: ArrayLike<number>, nSplits: number): Fold[] {
  checkSplits(nSplits, labels.length);
  const classOf = new Map<number, number>();
  const encoded = Int32Array.from(labels, (label) => {
    if (!classOf.has(label)) classOf.set(label, classOf.size);
    return classOf.get(label)!;
  });
  const nClasses = classOf.size;
  const counts = new Array<number>(nClasses).fill(0);
  for (const c of encoded) counts[c]++;
  if (counts.every((count) => nSplits > count)) {
    throw new ValueError(`cv: n_splits=${nSplits} cannot be greater than the number of members in each class (largest class: ${Math.max(...counts)} samples)`);
  }
  const fewest = Math.min(...counts);
  if (nSplits > fewest) {
    process.emitWarning(`The least populated class in y has only ${fewest} members, which is less than n_splits=${nSplits}.`);
  }
  // allocation[k][c]: how many samples of class c fold k tests (round robin over sorted labels).
  const sorted = Int32Array.from(encoded).sort();
  const allocation = Array.from({ length: nSplits }, () => new Array<number>(nClasses).fill(0));
  sorted.forEach((c, i) => allocation[i % nSplits][c]++);
  const testFold = new Int32Array(labels.length);
  const nextFold = new Array<number>(nClasses).fill(0);
  const usedInFold = new Array<number>(nClasses).fill(0);
  encoded.forEach((c, i) => {
    while (usedInFold[c] >= allocation[nextFold[c]][c]) {
      nextFold[c]++;
      usedInFold[c] = 0;
    }
    testFold[i] = nextFold[c];
    usedInFold[c]++;
  });
  return foldsFrom(testFold, nSplits);
}
