import { readBinaryScores, type EvaluationInput } from './inputs.js';
import { pairwiseSum } from './pairwise_sum.js';
import { precisionRecallCurve } from './precision_recall_curve.js';

/**
 * Average precision of binary `yTrue` (0/1 or -1/1, positive class 1) against `scores`, as
 * `sklearn.metrics.average_precision_score`: the precision at each threshold weighted by the
 * recall gained there, sum((R[n] - R[n-1]) * P[n]), without interpolation.
 */
export function averagePrecisionScore(yTrue: EvaluationInput, scores: EvaluationInput): number {
  const { positive, scores: values } = readBinaryScores(yTrue, scores, 'averagePrecisionScore');
  const { precision, recall } = precisionRecallCurve(positive, values);
  // Recall decreases along the curve: each step's difference is minus the recall gained.
  const weighted = recall.slice(1).map((next, i) => (next - recall[i]) * precision[i]);
  return Math.max(0, -pairwiseSum(weighted));
}
