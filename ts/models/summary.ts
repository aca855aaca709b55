// Keras 3's model summary table, as rich draws it on an 80-column console: column widths from
// Keras' positions shrunk the way rich shrinks them, long cells wrapped at spaces.
import type { Layer } from '../layers/layer.js';
import { formatShape } from '../symbolic.js';

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Keras' column widths (from positions on the line) as rich fits them, padding included. */
function columnWidths(positions: number[], defaultLineLength: number, consoleWidth = 80): number[] {
  const lineLength = Math.min(defaultLineLength, consoleWidth - 4);
  let current = 0;
  const widths = positions.map((p) => {
    const w = Math.floor(p * lineLength) - current;
    current += w;
    return w + 2;
  });
  // rich removes the excess over the table's width evenly (its ratio_reduce).
  let excess = widths.reduce((a, b) => a + b, 0) - (lineLength - (widths.length + 1));
  let ratios = widths.length;
  return widths.map((w) => {
    const cut = Math.max(0, Math.min(w, roundHalfEven((excess * 1) / ratios)));
    excess -= cut;
    ratios -= 1;
    return w - cut;
  });
}

/** rich's word wrap: greedy at spaces; a word longer than the width gets a line of its own, cut with "…". */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length <= width) {
      line += ` ${word}`;
      continue;
    }
    if (line) lines.push(line);
    line = word.length > width ? `${word.slice(0, width - 1)}…` : word;
  }
  lines.push(line);
  return lines;
}

/** The class name Keras prints for a layer (a functional Model is "Functional"). */
function className(layer: Layer): string {
  // Keras operations rebuilt as layers (`x + 3.0` saved as ops.Add) print as Keras names them.
  const kerasName = (layer as { kerasClassName?: string }).kerasClassName;
  if (kerasName) return kerasName;
  const name = layer.constructor.name;
  return name === 'Model' ? 'Functional' : name;
}

function outputShape(layer: Layer): string {
  const shapes = layer.lastOutputShapes ?? (layer.lastOutputShape ? [layer.lastOutputShape] : []);
  if (shapes.length === 0) return '?';
  return shapes.length === 1 ? formatShape(shapes[0]) : `[${shapes.map(formatShape).join(', ')}]`;
}

/**
 * The table for `layers`; with `connections` (a functional model that is not a plain chain),
 * Keras' fourth column, "Connected to".
 */
export function summaryTable(modelName: string, layers: Layer[], connections?: Map<Layer, string>): string {
  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(connections ? ['Connected to'] : [])];
  const widths = connections ? columnWidths([0.3, 0.56, 0.74, 1.0], 108) : columnWidths([0.45, 0.8, 1.0], 88);
  const rightAligned = 2;
  const row = (cells: string[], bar: string): string[] => {
    const wrapped = cells.map((c, i) => wrap(c, widths[i] - 2));
    const height = Math.max(...wrapped.map((w) => w.length));
    return Array.from({ length: height }, (_, k) => {
      const parts = wrapped.map((w, i) => {
        const text = w[k] ?? '';
        return ` ${i === rightAligned ? text.padStart(widths[i] - 2) : text.padEnd(widths[i] - 2)} `;
      });
      return `${bar}${parts.join(bar)}${bar}`;
    });
  };
  const line = (l: string, m: string, r: string, fill: string) => l + widths.map((w) => fill.repeat(w)).join(m) + r;
  const out = [`Model: "${modelName}"`, line('┏', '┳', '┓', '━'), ...row(header, '┃'), line('┡', '╇', '┩', '━')];
  layers.forEach((l, i) => {
    const cells = [`${l.name} (${className(l)})`, outputShape(l), count(l.countParams())];
    if (connections) cells.push(connections.get(l) ?? '-');
    out.push(...row(cells, '│'));
    if (i < layers.length - 1) out.push(line('├', '┼', '┤', '─'));
  });
  out.push(line('└', '┴', '┘', '─'));
  const params = (ws: { shape: number[] }[]) => ws.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  const unique = <T>(xs: T[]) => [...new Set(xs)];
  const trainable = params(unique(layers.flatMap((l) => l.trainableWeights)));
  const frozen = params(unique(layers.flatMap((l) => l.nonTrainableWeights)));
  out.push(` Total params: ${count(trainable + frozen)} (${formatBytes((trainable + frozen) * 4)})`);
  out.push(` Trainable params: ${count(trainable)} (${formatBytes(trainable * 4)})`);
  out.push(` Non-trainable params: ${count(frozen)} (${formatBytes(frozen * 4)})`);
  return out.join('\n');
}
