import { ValueError } from '../../errors.js';
import { checkIntegerLabels, checkSameLength, readVector, type EvaluationInput } from './inputs.js';
import { pairwiseSum } from './pairwise_sum.js';

/** Options of `classificationReport`. */
export interface ClassificationReportOptions {
  /** Display names of the classes, in the order of their sorted labels. Default: the labels. */
  targetNames?: string[];
  /** Digits after the decimal point in the text table. Default 2. */
  digits?: number;
  /** Return the numbers (unrounded) as an object instead of the text table. Default false. */
  outputDict?: boolean;
}

/** One row of the report: a class, or an average over the classes. */
export interface ClassificationReportRow {
  /** Of the samples predicted as the class, the fraction that are. */
  precision: number;
  /** Of the samples of the class, the fraction predicted as it. */
  recall: number;
  /** The harmonic mean of precision and recall. */
  'f1-score': number;
  /** The number of samples of the class (of all classes on the average rows). */
  support: number;
}

/** `classificationReport(..., { outputDict: true })`: a row per class name, then the summary. */
export interface ClassificationReportDict {
  [className: string]: ClassificationReportRow | number;
  /** The fraction of all samples predicted right. */
  accuracy: number;
  /** The unweighted mean of the class rows. */
  'macro avg': ClassificationReportRow;
  /** The mean of the class rows weighted by their support. */
  'weighted avg': ClassificationReportRow;
}

/** The widest average row's heading sets the least width of the name column, as scikit-learn. */
const WIDEST_HEADING = 'weighted avg';
const COLUMN = 9;

/**
 * Precision, recall, F1 score and support of every class found in `yTrue` or `yPred` (integer
 * labels, sorted), then accuracy and the macro and support-weighted averages: the same table,
 * character for character, as `sklearn.metrics.classification_report`, or with
 * `outputDict: true` the same numbers as an object. A score whose denominator is zero (a class
 * never predicted) is 0, scikit-learn's default (where it also warns).
 *
 * ```ts
 * console.log(kiln.metrics.classificationReport([0, 1, 2, 2, 2], [0, 0, 2, 2, 1],
 *   { targetNames: ['class 0', 'class 1', 'class 2'] }));
 * //               precision    recall  f1-score   support
 * //
 * //      class 0       0.50      1.00      0.67         1
 * //      class 1       0.00      0.00      0.00         1
 * //      class 2       1.00      0.67      0.80         3
 * //
 * //     accuracy                           0.60         5
 * //    macro avg       0.50      0.56      0.49         5
 * // weighted avg       0.70      0.60      0.61         5
 * ```
 */
export function classificationReport(yTrue: EvaluationInput, yPred: EvaluationInput, options: ClassificationReportOptions & { outputDict: true }): ClassificationReportDict;
export function classificationReport(yTrue: EvaluationInput, yPred: EvaluationInput, options?: ClassificationReportOptions & { outputDict?: false }): string;
export function classificationReport(yTrue: EvaluationInput, yPred: EvaluationInput, options?: ClassificationReportOptions): string | ClassificationReportDict;
export function classificationReport(yTrue: EvaluationInput, yPred: EvaluationInput, options: ClassificationReportOptions = {}): string | ClassificationReportDict {
  const caller = 'classificationReport';
  const truth = readVector(yTrue, 'yTrue', caller);
  const predicted = readVector(yPred, 'yPred', caller);
  checkSameLength(truth, predicted, ['yTrue', 'yPred'], caller);
  checkIntegerLabels(truth, 'yTrue', caller);
  checkIntegerLabels(predicted, 'yPred', caller);
  const digits = options.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0) {
    throw new ValueError(`${caller}: digits must be a non-negative integer, got ${digits}`);
  }

  const labels = [...new Set([...truth, ...predicted])].sort((a, b) => a - b);
  const names = options.targetNames?.map(String) ?? labels.map(String);
  if (names.length !== labels.length) {
    throw new ValueError(`${caller}: targetNames must name the ${labels.length} classes found in yTrue and yPred (${labels.join(', ')}), got ${names.length} names`);
  }
  const { rows, summary } = scoreClasses(truth, predicted, labels);

  if (options.outputDict) {
    const report: Record<string, ClassificationReportRow | number> = {};
    names.forEach((name, i) => (report[name] = rows[i]));
    report.accuracy = summary.accuracy;
    report['macro avg'] = summary.macroAverage;
    report['weighted avg'] = summary.weightedAverage;
    return report as ClassificationReportDict;
  }

  const width = Math.max(...names.map(codePoints), WIDEST_HEADING.length, digits);
  const line = (heading: string, cells: string[]) => `${alignRight(heading, width)} ${cells.map((cell) => ` ${alignRight(cell, COLUMN)}`).join('')}`;
  const scoreCells = (row: ClassificationReportRow) => [...[row.precision, row.recall, row['f1-score']].map((score) => formatFixed(score, digits)), String(row.support)];
  const header = line('', ['precision', 'recall', 'f1-score', 'support']);
  const classLines = names.map((name, i) => line(name, scoreCells(rows[i])));
  const summaryLines = [
    line('accuracy', ['', '', formatFixed(summary.accuracy, digits), String(truth.length)]),
    line('macro avg', scoreCells(summary.macroAverage)),
    line('weighted avg', scoreCells(summary.weightedAverage)),
  ];
  return `${header}\n\n${classLines.join('\n')}\n\n${summaryLines.join('\n')}\n`;
}

/** Per-class scores and their averages, computed as scikit-learn's precision_recall_fscore_support. */
function scoreClasses(truth: Float64Array, predicted: Float64Array, labels: number[]) {
  const index = new Map(labels.map((label, i) => [label, i]));
  const truePositives = new Float64Array(labels.length);
  const predictedCounts = new Float64Array(labels.length);
  const trueCounts = new Float64Array(labels.length);
  for (let i = 0; i < truth.length; i++) {
    const t = index.get(truth[i])!;
    const p = index.get(predicted[i])!;
    trueCounts[t]++;
    predictedCounts[p]++;
    if (t === p) truePositives[t]++;
  }
  const divide = (numerator: number, denominator: number) => (denominator === 0 ? 0 : numerator / denominator);
  const rows: ClassificationReportRow[] = labels.map((_, c) => ({
    precision: divide(truePositives[c], predictedCounts[c]),
    recall: divide(truePositives[c], trueCounts[c]),
    'f1-score': divide(2 * truePositives[c], trueCounts[c] + predictedCounts[c]),
    support: trueCounts[c],
  }));
  const total = truth.length;
  const average = (weights?: Float64Array): ClassificationReportRow => {
    const mean = (key: 'precision' | 'recall' | 'f1-score') => {
      const scores = rows.map((row) => row[key]);
      if (!weights) return pairwiseSum(scores) / scores.length;
      return pairwiseSum(scores.map((score, c) => score * weights[c])) / pairwiseSum(weights);
    };
    return { precision: mean('precision'), recall: mean('recall'), 'f1-score': mean('f1-score'), support: total };
  };
  const accuracy = pairwiseSum(truePositives) / total;
  return { rows, summary: { accuracy, macroAverage: average(), weightedAverage: average(trueCounts) } };
}

function codePoints(text: string): number {
  return [...text].length;
}

function alignRight(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - codePoints(text))) + text;
}

/**
 * `value` with `digits` digits after the point, rounded from its exact binary value with ties
 * to even, as Python's format(value, '.Nf') (toFixed rounds exact ties such as 0.125 up).
 */
function formatFixed(value: number, digits: number): string {
  if (Number.isNaN(value)) return 'nan';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (!Number.isFinite(value)) return `${sign}inf`;
  const [mantissa, exponent] = binaryParts(Math.abs(value));
  const numerator = mantissa * 10n ** BigInt(digits);
  let scaled: bigint;
  if (exponent >= 0) {
    scaled = numerator << BigInt(exponent);
  } else {
    const denominator = 1n << BigInt(-exponent);
    const quotient = numerator / denominator;
    const twiceRemainder = 2n * (numerator % denominator);
    const roundUp = twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n);
    scaled = roundUp ? quotient + 1n : quotient;
  }
  const text = scaled.toString().padStart(digits + 1, '0');
  return sign + (digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`);
}

/** [mantissa, exponent] with value = mantissa * 2 ** exponent exactly, for a finite value >= 0. */
function binaryParts(value: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  if (biasedExponent === 0) return [fraction, -1074];
  return [fraction | (1n << 52n), biasedExponent - 1075];
}
