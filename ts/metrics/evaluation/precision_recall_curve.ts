import { countsAtThresholds, keepThresholds } from './threshold_counts.js';
import { readBinaryScores, type EvaluationInput } from './inputs.js';

/** Options of `precisionRecallCurve`. */
export interface PrecisionRecallCurveOptions {
  /**
   * Drop the thresholds where the true positives do not change from both neighbours (inner
   * points of vertical runs, which do not change the plot). Default false, as scikit-learn.
   */
  dropIntermediate?: boolean;
}

/** The precision-recall pairs of `precisionRecallCurve`, recall decreasing. */
export interface PrecisionRecallCurve {
  /** Precision at each threshold, then 1 (the curve's end at recall 0). */
  precision: number[];
  /** Recall at each threshold (decreasing), then 0. */
  recall: number[];
  /** The distinct scores, increasing; one fewer than `precision` and `recall`. */
  thresholds: number[];
}

/**
 * Precision and recall of the rule `score >= threshold` at every distinct score, as
 * `sklearn.metrics.precision_recall_curve`: `yTrue` holds binary labels (0/1 or -1/1, positive
 * class 1), `scores` the classifier's scores for the positive class.
 *
 * With no positive sample in `yTrue` the recall is 1 at every threshold (scikit-learn warns).
 */
export function precisionRecallCurve(yTrue: EvaluationInput, scores: EvaluationInput, options: PrecisionRecallCurveOptions = {}): PrecisionRecallCurve {
  const { positive, scores: values } = readBinaryScores(yTrue, scores, 'precisionRecallCurve');
  let counts = countsAtThresholds(positive, values);
  if (options.dropIntermediate && counts.thresholds.length > 2) {
    const tp = counts.truePositives;
    const last = tp.length - 1;
    counts = keepThresholds(counts, (i) => i === 0 || i === last || tp[i] !== tp[i - 1] || tp[i] !== tp[i + 1]);
  }
  const { thresholds, truePositives, falsePositives } = counts;
  const totalPositives = truePositives[truePositives.length - 1];
  const precision = truePositives.map((tp, i) => {
    const predicted = tp + falsePositives[i];
    return predicted === 0 ? 0 : tp / predicted;
  });
  const recall = truePositives.map((tp) => (totalPositives === 0 ? 1 : tp / totalPositives));
  return {
    precision: [...precision.reverse(), 1],
    recall: [...recall.reverse(), 0],
    thresholds: thresholds.reverse(),
  };
}
