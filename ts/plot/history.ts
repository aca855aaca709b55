// The training curves the Keras tutorials draw with matplotlib after fit(): one panel per
// metric (accuracy, then loss), training and validation values against the epoch.
import { History } from '../callbacks/history.js';
import { ValueError } from '../errors.js';
import { autoscale, Axes, type LegendLocation } from './axes.js';
import { COLORS, type Figure, type FigureSizeOptions, saveFigure } from './figure.js';
import { figureFormat } from './figure_file.js';

export interface HistoryPlotOptions extends FigureSizeOptions {
  /**
   * The metrics to draw, one panel each, in order (their `val_` values join them). Default:
   * every metric in the history except the learning rate, loss last, as the tutorials draw
   * accuracy beside loss.
   */
  metrics?: string[];
}

const PANEL_WIDTH = 500;
const DEFAULT_HEIGHT = 420;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 58 };

/** 'sparse_categorical_accuracy' -> 'Sparse Categorical Accuracy'. */
function titleCase(key: string): string {
  return key
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

function defaultMetrics(history: Record<string, number[]>): string[] {
  const keys = Object.keys(history).filter((k) => !k.startsWith('val_') && k !== 'learning_rate' && k !== 'lr');
  return [...keys.filter((k) => k !== 'loss'), ...keys.filter((k) => k === 'loss')];
}

/**
 * Draws the training history (`await model.fit(...)`'s History, or its `history` record) to
 * `file`, SVG or PNG by its extension: for each metric a panel titled "Training and Validation
 * Accuracy" with the training values in blue and the validation ones in orange against the
 * epoch (1, 2, ...), the legend at the lower right (upper right for the loss).
 */
export async function history(history: History | Record<string, number[]>, file: string, options: HistoryPlotOptions = {}): Promise<Figure> {
  const caller = 'plot.history';
  figureFormat(file, caller);
  const record = history instanceof History ? history.history : history;
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new ValueError(`${caller}: expected the History that fit() returns or its \`history\` record, got ${record === null ? 'null' : typeof record}`);
  }
  const metrics = options.metrics ?? defaultMetrics(record);
  if (metrics.length === 0) throw new ValueError(`${caller}: the history holds no metrics to draw (keys: ${Object.keys(record).join(', ') || 'none'}); train with fit() first`);
  for (const key of metrics) {
    const values = record[key];
    if (!Array.isArray(values) || values.length === 0) {
      throw new ValueError(`${caller}: the history has no values for "${key}"; it has: ${Object.keys(record).join(', ') || 'nothing'}`);
    }
    const validation = record[`val_${key}`];
    if (validation !== undefined && validation.length !== values.length) {
      throw new ValueError(`${caller}: "${key}" has ${values.length} values but "val_${key}" has ${validation.length}; both need one per epoch`);
    }
  }
  const width = options.width ?? PANEL_WIDTH * metrics.length;
  const height = options.height ?? DEFAULT_HEIGHT;
  const panelWidth = width / metrics.length;
  const axes = metrics.map((key, panel) => {
    const training = record[key];
    const validation = record[`val_${key}`];
    const epochs = training.map((_, i) => i + 1);
    const name = titleCase(key);
    const frame = { left: panel * panelWidth + MARGIN.left, top: MARGIN.top, width: panelWidth - MARGIN.left - MARGIN.right, height: height - MARGIN.top - MARGIN.bottom };
    const ax = new Axes(frame, {
      title: validation ? `Training and Validation ${name}` : `Training ${name}`,
      xLabel: 'Epoch',
      yLabel: name,
      xDomain: autoscale(epochs),
      yDomain: autoscale([...training, ...(validation ?? [])]),
      integerXTicks: true,
    });
    ax.plot(epochs, training, { color: COLORS[0], label: `Training ${name}`, markers: true });
    if (validation) ax.plot(epochs, validation, { color: COLORS[1], label: `Validation ${name}`, markers: true });
    const location: LegendLocation = key.includes('loss') || key.includes('error') ? 'upper right' : 'lower right';
    ax.legend(location);
    return ax;
  });
  return saveFigure({ width, height, axes }, file, caller);
}
