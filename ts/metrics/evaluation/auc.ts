import { ValueError } from '../../errors.js';
import { checkSameLength, readVector, type EvaluationInput } from './inputs.js';
import { pairwiseSum } from './pairwise_sum.js';

/**
 * The area under the curve through the points (x[i], y[i]) by the trapezoidal rule, as
 * `sklearn.metrics.auc`: `x` must be increasing or decreasing (ties allowed), with at least two
 * points. For the area under a ROC curve from scores, `rocAucScore` does both steps.
 */
export function auc(x: EvaluationInput, y: EvaluationInput): number {
  const xs = readVector(x, 'x', 'auc');
  const ys = readVector(y, 'y', 'auc');
  checkSameLength(xs, ys, ['x', 'y'], 'auc');
  if (xs.length < 2) throw new ValueError(`auc: at least 2 points are needed to compute the area under a curve, got ${xs.length}`);
  const steps = xs.subarray(1).map((value, i) => value - xs[i]);
  let direction = 1;
  if (steps.some((step) => step < 0)) {
    if (!steps.every((step) => step <= 0)) {
      throw new ValueError(`auc: x must be increasing or decreasing, got [${Array.from(xs.subarray(0, 20)).join(', ')}${xs.length > 20 ? ', ...' : ''}]`);
    }
    direction = -1;
  }
  const trapezoids = steps.map((step, i) => (step * (ys[i + 1] + ys[i])) / 2);
  return direction * pairwiseSum(trapezoids);
}
