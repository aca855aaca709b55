// Gradient checking through the public API: the analytic gradient is what one step of plain
// SGD (learningRate 1, one batch holding every sample) subtracts from the weights, the numeric
// gradient the central difference of `evaluate`'s loss with each weight moved by ±H.
import type { ExecutionContext } from 'ava';
import * as kiln from 'kiln-nn';

export const H = 1e-2;
const TOL = 2e-2;

export type Init = number[][];

/** Deterministic weights, varied in sign and size, different for each weight tensor. */
export function defaultWeights(shapes: number[][]): Float32Array[] {
  return shapes.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return Float32Array.from({ length: size }, (_, j) => 0.6 * Math.sin(1.37 * j + 2.1 * i + 0.4));
  });
}

export function flat(t: kiln.Tensor): number[] {
  return Array.from(t.dataSync());
}

export async function lossOf(model: kiln.Model, x: kiln.Tensor, y: kiln.Tensor): Promise<number> {
  const result = await model.evaluate(x, y, { batchSize: x.shape[0], verbose: 0 });
  return result[0];
}

export interface CheckResult {
  analytic: number[][];
  numeric: number[][];
  loss: number;
}

/**
 * Compiles `model` with SGD(1) and `loss`, sets `init` (or deterministic weights), and
 * compares the update of one full-batch fit step with central finite differences of evaluate.
 */
export async function checkGradients(
  t: ExecutionContext,
  model: kiln.Model,
  x: kiln.Tensor,
  y: kiln.Tensor,
  loss: string | string[],
  init?: Init,
  options: { lossWeights?: number[] } = {},
): Promise<CheckResult> {
  const n = x.shape[0];
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss, lossWeights: options.lossWeights });
  const shapes = model.getWeights().map((w) => w.shape);
  const count = shapes.reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
  t.true(count > 0 && count <= 60, `keep gradient-check models small (${count} weights)`);
  const base = init ? init.map((w) => Float32Array.from(w)) : defaultWeights(shapes);
  base.forEach((w, i) =>
    t.is(
      w.length,
      shapes[i].reduce((a, b) => a * b, 1),
      `initial weight ${i} has the wrong size`,
    ),
  );
  const set = (ws: Float32Array[]) => model.setWeights(ws.map((w, i) => kiln.tensor(w, shapes[i])));

  set(base);
  const loss0 = await lossOf(model, x, y);
  t.true(Number.isFinite(loss0), `loss is finite (${loss0})`);
  const numeric: number[][] = [];
  for (let i = 0; i < base.length; i++) {
    const row: number[] = [];
    for (let j = 0; j < base[i].length; j++) {
      const plus = base.map((w) => w.slice());
      plus[i][j] += H;
      set(plus);
      const lp = await lossOf(model, x, y);
      const minus = base.map((w) => w.slice());
      minus[i][j] -= H;
      set(minus);
      const lm = await lossOf(model, x, y);
      row.push((lp - lm) / (2 * H));
    }
    numeric.push(row);
  }

  set(base);
  const history = await model.fit(x, y, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
  // The training loss is computed before the update, on the same weights: it is evaluate's loss.
  t.true(Math.abs(history.history.loss[0] - loss0) <= 1e-5 * (1 + Math.abs(loss0)), `fit loss ${history.history.loss[0]} equals evaluate loss ${loss0}`);
  const after = model.getWeights().map(flat);
  const analytic = base.map((w, i) => Array.from(w, (v, j) => v - after[i][j]));

  const bad: string[] = [];
  let largest = 0;
  for (let i = 0; i < base.length; i++) {
    for (let j = 0; j < base[i].length; j++) {
      const [a, g] = [analytic[i][j], numeric[i][j]];
      largest = Math.max(largest, Math.abs(g));
      if (!(Math.abs(a - g) <= TOL * (1 + Math.abs(g)))) bad.push(`weight ${i}[${j}]: analytic ${a.toFixed(5)}, numeric ${g.toFixed(5)}`);
    }
  }
  t.deepEqual(bad, [], `${bad.length} of ${count} gradients differ`);
  t.true(largest > 1e-3, `the check is not vacuous (largest |gradient| ${largest})`);
  return { analytic, numeric, loss: loss0 };
}
