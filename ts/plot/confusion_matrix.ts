// scikit-learn's ConfusionMatrixDisplay: the matrix as an image, true labels down, predicted
// labels across, each cell's value written in it, and a colour bar.
import { interpolateBlues } from 'd3-scale-chromatic';
import { ValueError } from '../errors.js';
import { confusionMatrix as countConfusions } from '../metrics/evaluation/confusion_matrix.js';
import type { EvaluationInput } from '../metrics/evaluation/inputs.js';
import { Tensor } from '../tensor.js';
import { Axes, FONT_SIZE } from './axes.js';
import { colorBar } from './color_bar.js';
import { type Figure, type FigureSizeOptions, saveFigure } from './figure.js';
import { figureFormat } from './figure_file.js';
import { element, textElement } from './svg.js';

export interface ConfusionMatrixPlotOptions extends FigureSizeOptions {
  /** Names of the classes, in label order (default '0', '1', ...). */
  labels?: string[];
  /**
   * As scikit-learn's `normalize`: 'true' divides each row by its total (recall per class),
   * 'pred' each column (precision), 'all' the whole matrix; default none (counts).
   */
  normalize?: 'true' | 'pred' | 'all' | null;
  /** The plot's title (default none). */
  title?: string;
}

/** Labels and predictions, for the plot to count them itself. */
export interface LabelPairs {
  /** The true class labels. */
  yTrue: EvaluationInput;
  /** The predicted class labels. */
  yPred: EvaluationInput;
}

const MARGIN = { left: 100, right: 110, top: 50, bottom: 80 };

function readMatrix(input: Tensor | number[][] | LabelPairs, classes: number | undefined, caller: string): number[][] {
  if (input instanceof Tensor) {
    if (input.rank !== 2 || input.shape[0] !== input.shape[1]) throw new ValueError(`${caller}: the matrix must be square (shape [n, n]), got shape [${input.shape.join(', ')}]`);
    return input.toArray() as number[][];
  }
  if (Array.isArray(input)) {
    const n = input.length;
    const square = n > 0 && input.every((row) => Array.isArray(row) && row.length === n && row.every((v) => typeof v === 'number' && Number.isFinite(v)));
    if (!square) throw new ValueError(`${caller}: the matrix must be a square array of finite numbers (n rows of n), got ${n} rows`);
    return input;
  }
  if (input && typeof input === 'object' && 'yTrue' in input && 'yPred' in input) {
    return countConfusions(input.yTrue, input.yPred, classes).toArray() as number[][];
  }
  throw new ValueError(`${caller}: expected a confusion matrix (tensor or number[][]) or { yTrue, yPred }, got ${input === null ? 'null' : typeof input}`);
}

function normalized(matrix: number[][], how: ConfusionMatrixPlotOptions['normalize'], caller: string): number[][] {
  if (how === undefined || how === null) return matrix;
  const n = matrix.length;
  const divide = (value: number, total: number) => (total === 0 ? 0 : value / total);
  if (how === 'true')
    return matrix.map((row) =>
      row.map((v) =>
        divide(
          v,
          row.reduce((a, b) => a + b, 0),
        ),
      ),
    );
  if (how === 'pred') {
    const columns = Array.from({ length: n }, (_, j) => matrix.reduce((sum, row) => sum + row[j], 0));
    return matrix.map((row) => row.map((v, j) => divide(v, columns[j])));
  }
  if (how === 'all') {
    const total = matrix.flat().reduce((a, b) => a + b, 0);
    return matrix.map((row) => row.map((v) => divide(v, total)));
  }
  throw new ValueError(`${caller}: normalize must be 'true', 'pred', 'all' or null, got ${JSON.stringify(how)}`);
}

/** A cell's text as scikit-learn writes it: counts whole, normalised values to 2 significant digits. */
function cellText(value: number, isCount: boolean): string {
  return isCount ? String(value) : String(Number(value.toPrecision(2)));
}

/**
 * Draws a confusion matrix to `file` (SVG or PNG by its extension): the matrix from
 * `kiln.metrics.confusionMatrix` (a tensor or number[][]), or `{ yTrue, yPred }` to count.
 * Cells are shaded from white to dark blue by value, with the value written in white on dark
 * cells and black on light ones; true labels run down the side, predicted labels across.
 */
export async function confusionMatrix(input: Tensor | number[][] | LabelPairs, file: string, options: ConfusionMatrixPlotOptions = {}): Promise<Figure> {
  const caller = 'plot.confusionMatrix';
  figureFormat(file, caller);
  const counts = readMatrix(input, options.labels?.length, caller);
  const n = counts.length;
  const labels = options.labels ?? counts.map((_, i) => String(i));
  if (labels.length !== n) throw new ValueError(`${caller}: labels has ${labels.length} names for a ${n} x ${n} matrix`);
  const matrix = normalized(counts, options.normalize, caller);
  const values = matrix.flat();
  const low = Math.min(...values);
  const high = Math.max(...values);
  const shade = (value: number) => (high === low ? 0 : (value - low) / (high - low));

  const side = Math.min(560, Math.max(220, n * 48));
  const width = options.width ?? MARGIN.left + side + MARGIN.right;
  const height = options.height ?? MARGIN.top + side + MARGIN.bottom;
  const plotSide = Math.min(width - MARGIN.left - MARGIN.right, height - MARGIN.top - MARGIN.bottom);
  const frame = { left: MARGIN.left, top: MARGIN.top, width: plotSide, height: plotSide };
  const ticks = { values: labels.map((_, i) => i), labels };
  const ax = new Axes(frame, {
    title: options.title,
    xLabel: 'Predicted label',
    yLabel: 'True label',
    xDomain: [-0.5, n - 0.5],
    yDomain: [n - 0.5, -0.5],
    xTicks: ticks,
    yTicks: ticks,
    rotateXTickLabels: labels.some((l) => l.length > 3),
  });
  const cell = plotSide / n;
  const fontSize = Math.max(8, Math.min(FONT_SIZE.label, cell * 0.35));
  const cells: string[] = [];
  matrix.forEach((row, i) =>
    row.forEach((value, j) => {
      const cx = ax.x(j);
      const cy = ax.y(i);
      cells.push(element('rect', { x: cx - cell / 2, y: cy - cell / 2, width: cell + 0.5, height: cell + 0.5, fill: interpolateBlues(shade(value)) }));
      // As scikit-learn: the text takes the colour map's far end, so it reads on the cell.
      const textColor = interpolateBlues(shade(value) < 0.5 ? 1 : 0);
      cells.push(textElement(cellText(value, options.normalize == null), { x: cx, y: cy + fontSize * 0.35, 'font-size': fontSize, 'text-anchor': 'middle', fill: textColor }));
    }),
  );
  ax.addElements(cells);
  const bar = colorBar({ left: frame.left + plotSide + 20, top: frame.top, width: 16, height: plotSide }, low, high, interpolateBlues, 'confusion-matrix-colors');
  return saveFigure({ width, height, axes: [ax], extra: bar.elements, definitions: [bar.definition] }, file, caller);
}
