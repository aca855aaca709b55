import { ValueError } from '../../errors.js';
import { tensor, type Tensor } from '../../tensor.js';
import { checkIntegerLabels, checkSameLength, readVector, type EvaluationInput } from './inputs.js';

/**
 * The confusion matrix of class labels 0..numClasses-1, as
 * `sklearn.metrics.confusion_matrix(yTrue, yPred, labels=range(numClasses))`: an int32 tensor
 * of shape [numClasses, numClasses] whose entry [i, j] counts the samples of true class i
 * predicted as class j. `numClasses` defaults to the largest label + 1.
 *
 * Unlike scikit-learn, which silently leaves out samples whose label is not in `labels`, a
 * label outside 0..numClasses-1 throws.
 */
export function confusionMatrix(yTrue: EvaluationInput, yPred: EvaluationInput, numClasses?: number): Tensor {
  const caller = 'confusionMatrix';
  const truth = readVector(yTrue, 'yTrue', caller);
  const predicted = readVector(yPred, 'yPred', caller);
  checkSameLength(truth, predicted, ['yTrue', 'yPred'], caller);
  const largest = Math.max(checkedMaximum(truth, 'yTrue'), checkedMaximum(predicted, 'yPred'));
  if (numClasses === undefined) return countPairs(truth, predicted, largest + 1);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ValueError(`${caller}: numClasses must be a positive integer, got ${numClasses}`);
  }
  for (const [argument, labels] of [
    ['yTrue', truth],
    ['yPred', predicted],
  ] as const) {
    const index = labels.findIndex((label) => label >= numClasses);
    if (index >= 0) {
      throw new ValueError(`${caller}: ${argument} must hold labels in 0..${numClasses - 1} (numClasses ${numClasses}), got ${labels[index]} at index ${index}`);
    }
  }
  return countPairs(truth, predicted, numClasses);
}

function countPairs(truth: Float64Array, predicted: Float64Array, classes: number): Tensor {
  let counts: Int32Array;
  try {
    counts = new Int32Array(classes * classes);
  } catch {
    throw new ValueError(`confusionMatrix: a ${classes} x ${classes} matrix is too large to allocate; are the labels class indices?`);
  }
  for (let i = 0; i < truth.length; i++) counts[truth[i] * classes + predicted[i]]++;
  return tensor(counts, [classes, classes], 'int32');
}

/** The largest label, after checking that the labels are non-negative integers. */
function checkedMaximum(labels: Float64Array, argument: string): number {
  checkIntegerLabels(labels, argument, 'confusionMatrix');
  const index = labels.findIndex((label) => label < 0);
  if (index >= 0) {
    throw new ValueError(`confusionMatrix: ${argument} must hold class labels 0, 1, 2, ..., got ${labels[index]} at index ${index}`);
  }
  return maxOf(labels);
}

function maxOf(values: Float64Array): number {
  let largest = -Infinity;
  for (const value of values) largest = Math.max(largest, value);
  return largest;
}
