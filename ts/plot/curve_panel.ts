// What the ROC and precision-recall plots share: their options, reading a curve or labels and
// scores, and a square panel over [0, 1] x [0, 1].
import { ValueError } from '../errors.js';
import type { EvaluationInput } from '../metrics/evaluation/inputs.js';
import { Axes } from './axes.js';
import type { FigureSizeOptions } from './figure.js';

/** Labels and scores, for the plot to compute the curve itself. */
export interface ScoredLabels {
  /** The true binary labels. */
  yTrue: EvaluationInput;
  /** The classifier's score (probability) for the positive class. */
  yScore: EvaluationInput;
}

export interface CurvePlotOptions extends FigureSizeOptions {
  /** The curve's name in the legend (scikit-learn's `name`, e.g. the model's name). */
  name?: string;
  /** The plot's title (default none). */
  title?: string;
}

const MARGIN = { left: 75, right: 25, top: 45, bottom: 60 };

/**
 * The curve's two coordinate arrays, from a computed curve or from `{ yTrue, yScore }` through
 * `compute`; throws when neither is given or the arrays differ in length.
 */
export function readCurveInput<Curve extends object>(input: Curve | ScoredLabels, keys: [string, string], compute: (labels: ScoredLabels) => Curve, caller: string): Curve {
  if (input === null || typeof input !== 'object') throw new ValueError(`${caller}: expected a curve { ${keys.join(', ')} } or { yTrue, yScore }, got ${input === null ? 'null' : typeof input}`);
  const curve = 'yTrue' in input && 'yScore' in input ? compute(input as ScoredLabels) : (input as Curve);
  const [first, second] = keys.map((k) => (curve as Record<string, unknown>)[k]);
  if (!Array.isArray(first) || !Array.isArray(second) || first.length !== second.length || first.length === 0) {
    throw new ValueError(`${caller}: expected a curve with arrays ${keys.join(' and ')} of the same non-zero length, or { yTrue, yScore }; got keys ${Object.keys(input).join(', ') || 'none'}`);
  }
  return curve;
}

/** A square panel over the unit square with a small margin, as scikit-learn's displays set it. */
export function curvePanel(options: CurvePlotOptions, labels: { xLabel: string; yLabel: string }): { ax: Axes; width: number; height: number } {
  const width = options.width ?? 560;
  const height = options.height ?? 520;
  const frame = { left: MARGIN.left, top: MARGIN.top, width: width - MARGIN.left - MARGIN.right, height: height - MARGIN.top - MARGIN.bottom };
  const ax = new Axes(frame, { title: options.title, ...labels, xDomain: [-0.01, 1.01], yDomain: [-0.01, 1.01] });
  return { ax, width, height };
}
