// scikit-learn's RocCurveDisplay: true positive rate against false positive rate, the area
// under the curve in the legend, and the chance diagonal.
import { auc } from '../metrics/evaluation/auc.js';
import { rocCurve as computeRocCurve, type RocCurve } from '../metrics/evaluation/roc_curve.js';
import { COLORS, type Figure, saveFigure } from './figure.js';
import { figureFormat } from './figure_file.js';
import { curvePanel, type CurvePlotOptions, readCurveInput, type ScoredLabels } from './curve_panel.js';

/**
 * Draws a ROC curve to `file` (SVG or PNG by its extension): `kiln.metrics.rocCurve`'s result
 * or `{ yTrue, yScore }`, with "ROC curve (AUC = 0.93)" in the legend (the name option
 * replaces "ROC curve") and the chance level dashed.
 */
export async function rocCurve(input: RocCurve | ScoredLabels, file: string, options: CurvePlotOptions = {}): Promise<Figure> {
  const caller = 'plot.rocCurve';
  figureFormat(file, caller);
  const curve = readCurveInput(input, ['fpr', 'tpr'], (labels) => computeRocCurve(labels.yTrue, labels.yScore), caller);
  const area = auc(curve.fpr, curve.tpr);
  const { ax, width, height } = curvePanel(options, { xLabel: 'False Positive Rate', yLabel: 'True Positive Rate' });
  ax.plot(curve.fpr, curve.tpr, { color: COLORS[0], label: `${options.name ?? 'ROC curve'} (AUC = ${area.toFixed(2)})` });
  ax.plot([0, 1], [0, 1], { color: '#000000', dash: '6 4', width: 1.5, label: 'Chance level (AUC = 0.5)' });
  ax.legend('lower right');
  return saveFigure({ width, height, axes: [ax] }, file, caller);
}
