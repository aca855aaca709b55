import { auc } from './auc.js';
import { readBinaryScores, type EvaluationInput } from './inputs.js';
import { rocCurve } from './roc_curve.js';

/**
 * The area under the ROC curve of binary `yTrue` (0/1 or -1/1, positive class 1) against
 * `scores`, as `sklearn.metrics.roc_auc_score` for binary targets. NaN when `yTrue` holds one
 * class only, where the area is not defined (scikit-learn warns and returns NaN too).
 */
export function rocAucScore(yTrue: EvaluationInput, scores: EvaluationInput): number {
  const { positive, scores: values } = readBinaryScores(yTrue, scores, 'rocAucScore');
  const positives = positive.reduce((n, p) => n + p, 0);
  if (positives === 0 || positives === positive.length) return NaN;
  const { fpr, tpr } = rocCurve(positive, values);
  return auc(fpr, tpr);
}
