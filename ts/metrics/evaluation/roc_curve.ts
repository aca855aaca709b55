import { countsAtThresholds, keepThresholds } from './threshold_counts.js';
import { readBinaryScores, type EvaluationInput } from './inputs.js';

/** Options of `rocCurve`. */
export interface RocCurveOptions {
  /**
   * Drop the thresholds whose point is collinear with its neighbours on the curve (they change
   * neither the plot nor the area). Default true, as scikit-learn.
   */
  dropIntermediate?: boolean;
}

/** The points of a receiver operating characteristic curve, thresholds decreasing. */
export interface RocCurve {
  /** False positive rate of `score >= thresholds[i]`, increasing from 0. */
  fpr: number[];
  /** True positive rate of `score >= thresholds[i]`, increasing from 0. */
  tpr: number[];
  /** Decreasing thresholds; the first is Infinity (nothing predicted positive). */
  thresholds: number[];
}

/**
 * The ROC curve of binary `yTrue` (0/1 or -1/1, positive class 1) against `scores`, as
 * `sklearn.metrics.roc_curve` (1.3 and later: the curve starts at threshold +Infinity, point
 * (0, 0)). Without negative samples `fpr` is all NaN, without positive ones `tpr` is all NaN,
 * as scikit-learn returns them (with a warning there).
 */
export function rocCurve(yTrue: EvaluationInput, scores: EvaluationInput, options: RocCurveOptions = {}): RocCurve {
  const { positive, scores: values } = readBinaryScores(yTrue, scores, 'rocCurve');
  let counts = countsAtThresholds(positive, values);
  if ((options.dropIntermediate ?? true) && counts.thresholds.length > 2) {
    // A point is a corner when the second difference of either count is not zero there.
    const bends = (c: number[], i: number) => c[i + 1] - c[i] !== c[i] - c[i - 1];
    const { truePositives: tp, falsePositives: fp } = counts;
    const last = tp.length - 1;
    counts = keepThresholds(counts, (i) => i === 0 || i === last || bends(fp, i) || bends(tp, i));
  }
  const { thresholds, truePositives, falsePositives } = counts;
  const totalPositives = truePositives[truePositives.length - 1];
  const totalNegatives = falsePositives[falsePositives.length - 1];
  const rate = (count: number, total: number) => (total > 0 ? count / total : NaN);
  return {
    fpr: [0, ...falsePositives].map((count) => rate(count, totalNegatives)),
    tpr: [0, ...truePositives].map((count) => rate(count, totalPositives)),
    thresholds: [Infinity, ...thresholds],
  };
}
