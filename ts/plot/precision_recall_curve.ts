// scikit-learn's PrecisionRecallDisplay: precision against recall as a step curve, with the
// average precision in the legend when the labels and scores are given.
import { averagePrecisionScore } from '../metrics/evaluation/average_precision_score.js';
import { precisionRecallCurve as computePrecisionRecallCurve, type PrecisionRecallCurve } from '../metrics/evaluation/precision_recall_curve.js';
import { COLORS, type Figure, saveFigure } from './figure.js';
import { figureFormat } from './figure_file.js';
import { curvePanel, type CurvePlotOptions, readCurveInput, type ScoredLabels } from './curve_panel.js';

/**
 * Draws a precision-recall curve to `file` (SVG or PNG by its extension):
 * `kiln.metrics.precisionRecallCurve`'s result or `{ yTrue, yScore }` (then the legend gives
 * the average precision, "AP = 0.88"), as steps that hold each precision until the next recall.
 */
export async function precisionRecallCurve(input: PrecisionRecallCurve | ScoredLabels, file: string, options: CurvePlotOptions = {}): Promise<Figure> {
  const caller = 'plot.precisionRecallCurve';
  figureFormat(file, caller);
  const curve = readCurveInput(input, ['recall', 'precision'], (labels) => computePrecisionRecallCurve(labels.yTrue, labels.yScore), caller);
  const scored = 'yTrue' in input ? averagePrecisionScore(input.yTrue, input.yScore) : undefined;
  const name = options.name ?? 'Precision-recall curve';
  const { ax, width, height } = curvePanel(options, { xLabel: 'Recall', yLabel: 'Precision' });
  // Recall decreases along the curve; as scikit-learn, each precision holds until the next recall.
  ax.plot(curve.recall, curve.precision, { color: COLORS[0], steps: true, label: scored === undefined ? name : `${name} (AP = ${scored.toFixed(2)})` });
  ax.legend('lower left');
  return saveFigure({ width, height, axes: [ax] }, file, caller);
}
