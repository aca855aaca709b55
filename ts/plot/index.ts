/**
 * Plots of training and evaluation (history curves, confusion matrices, ROC and precision-recall
 * curves, model graphs), written to SVG or PNG (PNG needs the optional fonts and renderer packages).
 * @module
 */
// The public face of kiln.plot: charts of training and evaluation, written to SVG or PNG.
export type { AxesInfo, Frame } from './axes.js';
export type { Figure, FigureSizeOptions } from './figure.js';
export { history, type HistoryPlotOptions } from './history.js';
export { confusionMatrix, type ConfusionMatrixPlotOptions, type LabelPairs } from './confusion_matrix.js';
export type { CurvePlotOptions, ScoredLabels } from './curve_panel.js';
export { precisionRecallCurve } from './precision_recall_curve.js';
export { rocCurve } from './roc_curve.js';
export { type LayerBox, model, type ModelPlotOptions } from './model.js';
