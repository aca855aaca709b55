// Reading and checking the arguments the evaluation helpers share: label and score vectors.
import { ShapeError, ValueError } from '../../errors.js';
import { Tensor, type TensorLike } from '../../tensor.js';

/**
 * A vector of labels or scores: a tensor of shape [n] or [n, 1], a typed array, or a plain
 * array of numbers. Plain arrays and Float64Arrays keep their double precision (a tensor would
 * round them to float32), so the results agree with scikit-learn's on float64 data.
 */
export type EvaluationInput = TensorLike | Float64Array;

/** The values of `value` as doubles, checked to be a non-empty vector of numbers. */
export function readVector(value: EvaluationInput, argument: string, caller: string): Float64Array {
  const values = vectorValues(value, argument, caller);
  if (values.length === 0) throw new ValueError(`${caller}: ${argument} is empty, expected at least one value`);
  return values;
}

function vectorValues(value: EvaluationInput, argument: string, caller: string): Float64Array {
  if (value instanceof Tensor) {
    const shape = value.shape;
    if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) return Float64Array.from(value.dataSync());
    throw new ShapeError(`${caller}: ${argument} must be a vector (shape [n] or [n, 1]), got shape [${shape.join(', ')}]`);
  }
  if (ArrayBuffer.isView(value)) return Float64Array.from(value);
  if (!Array.isArray(value)) {
    throw new ValueError(`${caller}: ${argument} must be a tensor, a typed array or an array of numbers, got ${describe(value)}`);
  }
  const values = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    // A column [[a], [b], ...] is a vector too, as scikit-learn's column_or_1d reads it.
    const item = Array.isArray(value[i]) && (value[i] as unknown[]).length === 1 ? (value[i] as unknown[])[0] : value[i];
    if (typeof item !== 'number') {
      throw new ValueError(`${caller}: ${argument} must be a vector of numbers, got ${describe(value[i])} at index ${i}`);
    }
    values[i] = item;
  }
  return values;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return value === null ? 'null' : typeof value;
}

/** Throws unless the two vectors have the same length. */
export function checkSameLength(first: ArrayLike<number>, second: ArrayLike<number>, names: [string, string], caller: string): void {
  if (first.length !== second.length) {
    throw new ValueError(`${caller}: ${names[0]} and ${names[1]} must have the same length, got ${first.length} and ${second.length}`);
  }
}

/** Throws unless every value is finite (scikit-learn rejects NaN and infinity in labels and scores). */
export function checkFinite(values: ArrayLike<number>, argument: string, caller: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ValueError(`${caller}: ${argument} must hold finite numbers, got ${values[i]} at index ${i}`);
    }
  }
}

/** Throws unless every value is an integer class label (no NaN, no fractions). */
export function checkIntegerLabels(values: ArrayLike<number>, argument: string, caller: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isInteger(values[i])) {
      throw new ValueError(`${caller}: ${argument} must hold integer class labels, got ${values[i]} at index ${i}`);
    }
  }
}

/**
 * Which samples are positive, for binary labels as scikit-learn accepts them without a
 * pos_label: {0, 1} or {-1, 1} (or one of their values alone), the positive class being 1.
 */
export function positiveMask(yTrue: Float64Array, caller: string): Uint8Array {
  const classes = [...new Set(yTrue)].sort((a, b) => a - b);
  const allowed = classes.every((c) => c === 0 || c === 1) || classes.every((c) => c === -1 || c === 1);
  if (!allowed) {
    const shown = classes.slice(0, 10).join(', ') + (classes.length > 10 ? ', ...' : '');
    throw new ValueError(`${caller}: yTrue must hold binary labels, 0 and 1 (or -1 and 1), got the labels ${shown}`);
  }
  return Uint8Array.from(yTrue, (label) => (label === 1 ? 1 : 0));
}

/** The labels and scores of a binary curve, checked: same length, binary labels, finite scores. */
export function readBinaryScores(yTrue: EvaluationInput, scores: EvaluationInput, caller: string): { positive: Uint8Array; scores: Float64Array } {
  const labels = readVector(yTrue, 'yTrue', caller);
  const values = readVector(scores, 'scores', caller);
  checkSameLength(labels, values, ['yTrue', 'scores'], caller);
  const positive = positiveMask(labels, caller);
  checkFinite(values, 'scores', caller);
  return { positive, scores: values };
}
