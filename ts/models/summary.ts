// Keras 3's model summary table.
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

export function summaryTable(modelName: string, layers: Layer[]): string {
  const widths = [33, 24, 15];
  const rows = layers.map((l) => [`${l.name} (${l.constructor.name})`, l.lastOutputShape ? formatShape(l.lastOutputShape) : '?', count(l.countParams())]);
  const cell = (text: string, i: number) => (i === 2 ? ` ${text.padStart(widths[i] - 2)} ` : ` ${text.padEnd(widths[i] - 2)} `);
  const line = (l: string, m: string, r: string, fill: string) => l + widths.map((w) => fill.repeat(w)).join(m) + r;
  const out = [`Model: "${modelName}"`, line('┏', '┳', '┓', '━'), `┃${['Layer (type)', 'Output Shape', 'Param #'].map(cell).join('┃')}┃`, line('┡', '╇', '┩', '━')];
  rows.forEach((r, i) => {
    out.push(`│${r.map(cell).join('│')}│`);
    if (i < rows.length - 1) out.push(line('├', '┼', '┤', '─'));
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
