// Gradient checks through the public API. For each case a tiny model gets known weights; the
// analytic gradient is what one step of plain SGD (learningRate 1, one batch holding every
// sample) subtracts from the weights, and the numeric gradient is the central difference of
// `evaluate`'s loss with each weight moved by ±H. Every kernel the engine has (matmul, bias
// add, activations, fused and plain losses, elementwise ops with broadcasting, reductions,
// reshape, dropout) is reached this way.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { checkGradients, defaultWeights, flat, H, lossOf } from './helpers/finite_differences.js';

/** Deterministic inputs in about [-1, 1]. */
function data(shape: number[], phase = 0): kiln.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return kiln.tensor(
    Float32Array.from({ length: size }, (_, j) => Math.cos(0.91 * j + phase) * (0.5 + 0.5 * Math.sin(0.3 * j))),
    shape,
  );
}

function oneHot(labels: number[], classes: number): kiln.Tensor {
  return kiln.tensor(labels.map((l) => Array.from({ length: classes }, (_, c) => (c === l ? 1 : 0))));
}

/** A weightless layer computing `f` with kiln.ops (so it trains through the recorded graph). */
class Fn extends kiln.layers.Layer {
  private readonly f: (x: any) => any;
  constructor(f: (x: any) => any) {
    super();
    this.f = f;
  }
  call(inputs: kiln.layers.LayerInput): kiln.layers.LayerOutput {
    return this.f(inputs);
  }
}

/** A layer with weights, each of the given shape, combined with the input by `f`. */
class WithWeights extends kiln.layers.Layer {
  private readonly shapes: number[][];
  private readonly f: (x: any, ws: kiln.Variable[]) => any;
  vars: kiln.Variable[] = [];
  constructor(shapes: number[][], f: (x: any, ws: kiln.Variable[]) => any) {
    super();
    this.shapes = shapes;
    this.f = f;
  }
  build(): void {
    this.vars = this.shapes.map((shape, i) => this.addWeight({ shape, initializer: 'zeros', name: `w${i}` }));
  }
  call(inputs: kiln.layers.LayerInput): kiln.layers.LayerOutput {
    return this.f(inputs, this.vars);
  }
}

function dense(units: number, options: Record<string, unknown> = {}): kiln.layers.Dense {
  return new kiln.layers.Dense(units, options as kiln.layers.DenseArgs);
}

/** min |x·W + b| over all samples and units: how far a Dense layer's inputs are from a kink. */
function marginFromZero(x: kiln.Tensor, kernel: number[], bias: number[], inDim: number, units: number): number {
  const z = kiln.ops.add(kiln.ops.matmul(x, kiln.tensor(kernel, [inDim, units])), kiln.tensor(bias));
  return Math.min(...flat(z).map(Math.abs));
}

// ---------------------------------------------------------------------------------------------
// Dense and activations

test('Dense linear + mean_squared_error: gradient of matmul and bias add', async (t) => {
  const x = data([6, 3]);
  const y = data([6, 2], 1);
  const model = new kiln.Sequential([dense(2, { inputShape: [3] })]);
  const { analytic } = await checkGradients(t, model, x, y, 'mean_squared_error');
  // Exact check too: dL/dW = 2/(N*units) * xᵀ (xW + b - y).
  const w = defaultWeights([[3, 2], [2]]);
  const pred = kiln.ops.add(kiln.ops.matmul(x, kiln.tensor(w[0], [3, 2])), kiln.tensor(w[1]));
  const r = pred.sub(y).mul(2 / (6 * 2));
  const dW = flat(kiln.ops.matmul(x.transpose(), r));
  const db = flat(kiln.ops.sum(r, 0));
  analytic[0].forEach((g, i) => t.true(Math.abs(g - dW[i]) < 1e-5, `dW[${i}] ${g} vs ${dW[i]}`));
  analytic[1].forEach((g, i) => t.true(Math.abs(g - db[i]) < 1e-5, `db[${i}] ${g} vs ${db[i]}`));
});

test('Dense without bias (useBias: false)', async (t) => {
  const model = new kiln.Sequential([dense(3, { inputShape: [4], useBias: false, activation: 'tanh' })]);
  t.is(model.getWeights().length, 1);
  await checkGradients(t, model, data([5, 4]), data([5, 3], 2), 'mse');
});

test('Dense relu (inputs kept away from the kink) then Dense', async (t) => {
  const x = data([6, 3]);
  const y = data([6, 2], 1);
  const kernel = [0.9, -0.8, 0.7, -0.6, 0.5, 0.4, -0.9, 0.8, -0.3, 0.6, 0.7, -0.5];
  const bias = [0.35, -0.35, 0.3, -0.3];
  const margin = marginFromZero(x, kernel, bias, 3, 4);
  // One perturbed weight moves a pre-activation by at most H * max|x| <= H.
  t.true(margin > 2 * H, `pre-activations are at least ${margin} from 0`);
  const model = new kiln.Sequential([dense(4, { inputShape: [3], activation: 'relu' }), dense(2)]);
  const second = defaultWeights([[4, 2], [2]]).map((w) => Array.from(w));
  const { analytic } = await checkGradients(t, model, x, y, 'mse', [kernel, bias, ...second]);
  // Some units are inactive on some samples, so relu's zero branch is exercised.
  const z = flat(kiln.ops.add(kiln.ops.matmul(x, kiln.tensor(kernel, [3, 4])), kiln.tensor(bias)));
  t.true(z.some((v) => v < 0) && z.some((v) => v > 0));
  t.true(analytic[0].every(Number.isFinite));
});

for (const activation of ['sigmoid', 'tanh', 'linear', 'exponential']) {
  test(`Dense ${activation} then Dense, mse`, async (t) => {
    const model = new kiln.Sequential([dense(4, { inputShape: [3], activation }), dense(2)]);
    await checkGradients(t, model, data([6, 3]), data([6, 2], 1), 'mse');
  });
}

test('non-final softmax: Dense(softmax) then Dense, mse', async (t) => {
  const model = new kiln.Sequential([dense(4, { inputShape: [3], activation: 'softmax' }), dense(2)]);
  await checkGradients(t, model, data([6, 3]), data([6, 2], 1), 'mse');
});

test('camelCase and snake_case activation names train the same', async (t) => {
  const model = new kiln.Sequential([dense(3, { inputShape: [3], activation: 'sigmoid' }), dense(2)]);
  await checkGradients(t, model, data([4, 3]), data([4, 2], 3), 'meanSquaredError');
});

// ---------------------------------------------------------------------------------------------
// Losses

const LABELS = [0, 2, 1, 2, 0, 1];

test('categorical_crossentropy after softmax (fused path): gradient and value', async (t) => {
  const x = data([6, 4]);
  const y = oneHot(LABELS, 3);
  const model = new kiln.Sequential([dense(3, { inputShape: [4], activation: 'softmax' })]);
  const { loss } = await checkGradients(t, model, x, y, 'categorical_crossentropy');
  // The value is -mean(log p[label]) of the predictions at the initial weights.
  const w = defaultWeights([[4, 3], [3]]);
  model.setWeights([kiln.tensor(w[0], [4, 3]), kiln.tensor(w[1])]);
  const p = (await model.predict(x)).toArray() as number[][];
  const expected = -LABELS.reduce((s, l, i) => s + Math.log(p[i][l]), 0) / LABELS.length;
  t.true(Math.abs(loss - expected) < 1e-5, `${loss} vs ${expected}`);
});

test('categorical_crossentropy with soft targets (fused path)', async (t) => {
  const y = kiln.tensor([
    [0.2, 0.5, 0.3],
    [0.6, 0.1, 0.3],
    [0, 0, 1],
    [0.1, 0.1, 0.8],
  ]);
  const model = new kiln.Sequential([dense(3, { inputShape: [4], activation: 'softmax' })]);
  await checkGradients(t, model, data([4, 4]), y, 'categoricalCrossentropy');
});

test('sparse_categorical_crossentropy after softmax (fused path), labels [N] and [N, 1]', async (t) => {
  const x = data([6, 4]);
  const model = new kiln.Sequential([dense(3, { inputShape: [4], activation: 'softmax' })]);
  const flatLabels = await checkGradients(t, model, x, kiln.tensor(LABELS), 'sparse_categorical_crossentropy');
  const column = await checkGradients(t, model, x, kiln.tensor(LABELS, [6, 1], 'int32'), 'sparse_categorical_crossentropy');
  t.true(Math.abs(flatLabels.loss - column.loss) < 1e-6);
  // Same value as categorical_crossentropy on the one-hot labels.
  const categorical = await checkGradients(t, model, x, oneHot(LABELS, 3), 'categorical_crossentropy');
  t.true(Math.abs(flatLabels.loss - categorical.loss) < 1e-5);
  flatLabels.analytic.forEach((w, i) => w.forEach((g, j) => t.true(Math.abs(g - categorical.analytic[i][j]) < 1e-5)));
});

test('binary_crossentropy after sigmoid (fused path)', async (t) => {
  const y = kiln.tensor([
    [0, 1],
    [1, 1],
    [1, 0],
    [0, 0],
    [1, 0],
    [0.3, 0.7],
  ]);
  const model = new kiln.Sequential([dense(2, { inputShape: [3], activation: 'sigmoid' })]);
  await checkGradients(t, model, data([6, 3]), y, 'binary_crossentropy');
});

test('binary_crossentropy on a hand-made sigmoid (un-fused path) matches the fused one', async (t) => {
  const x = data([6, 3]);
  const y = kiln.tensor([
    [0, 1],
    [1, 1],
    [1, 0],
    [0, 0],
    [1, 0],
    [0.3, 0.7],
  ]);
  const handSigmoid = () => new Fn((z) => kiln.ops.div(1, kiln.ops.add(1, kiln.ops.exp(kiln.ops.negative(z)))));
  const unfused = new kiln.Sequential([dense(2, { inputShape: [3] }), handSigmoid()]);
  const a = await checkGradients(t, unfused, x, y, 'binary_crossentropy');
  const fused = new kiln.Sequential([dense(2, { inputShape: [3], activation: 'sigmoid' })]);
  const b = await checkGradients(t, fused, x, y, 'binary_crossentropy');
  t.true(Math.abs(a.loss - b.loss) < 1e-5, `un-fused ${a.loss} vs fused ${b.loss}`);
  a.analytic.forEach((w, i) => w.forEach((g, j) => t.true(Math.abs(g - b.analytic[i][j]) < 1e-4, `${g} vs ${b.analytic[i][j]}`)));
});

test('mean_squared_error on a 3-D output', async (t) => {
  const model = new kiln.Sequential([dense(4, { inputShape: [2, 3] })]);
  await checkGradients(t, model, data([3, 2, 3]), data([3, 2, 4], 1), 'mse');
});

test('mean_absolute_error (residuals away from 0)', async (t) => {
  const x = data([6, 3]);
  // Targets far from any prediction (|pred| < 2), so no residual crosses 0 when perturbed.
  const y = kiln.tensor(
    Array.from({ length: 12 }, (_, i) => (i % 2 ? 3 : -3) + 0.1 * i),
    [6, 2],
  );
  const model = new kiln.Sequential([dense(2, { inputShape: [3] })]);
  await checkGradients(t, model, x, y, 'mae');
  await checkGradients(t, model, x, y, 'mean_absolute_error');
});

test('categorical_crossentropy on a custom normalisation layer (un-fused path)', async (t) => {
  const x = data([6, 4]);
  const y = oneHot(LABELS, 3);
  // A softmax written with ops: exp(z - max z) / sum(exp(z - max z)); the loss cannot fuse it.
  const normalise = new Fn((z) => {
    const e = kiln.ops.exp(kiln.ops.sub(z, kiln.ops.max(z, -1, true)));
    return kiln.ops.div(e, kiln.ops.sum(e, -1, true));
  });
  const model = new kiln.Sequential([dense(3, { inputShape: [4] }), normalise]);
  const a = await checkGradients(t, model, x, y, 'categorical_crossentropy');
  const fused = new kiln.Sequential([dense(3, { inputShape: [4], activation: 'softmax' })]);
  const b = await checkGradients(t, fused, x, y, 'categorical_crossentropy');
  t.true(Math.abs(a.loss - b.loss) < 1e-5, `un-fused ${a.loss} vs fused ${b.loss}`);
});

test('categorical_crossentropy on un-normalised sigmoid outputs (the loss normalises rows)', async (t) => {
  const x = data([6, 4]);
  const y = oneHot(LABELS, 3);
  const model = new kiln.Sequential([dense(3, { inputShape: [4], activation: 'sigmoid' })]);
  const { loss } = await checkGradients(t, model, x, y, 'categorical_crossentropy');
  // Keras: p / sum(p) over the row, then -sum(t log p).
  const w = defaultWeights([[4, 3], [3]]);
  model.setWeights([kiln.tensor(w[0], [4, 3]), kiln.tensor(w[1])]);
  const p = (await model.predict(x)).toArray() as number[][];
  const expected = -LABELS.reduce((s, l, i) => s + Math.log(p[i][l] / p[i].reduce((a, b) => a + b, 0)), 0) / LABELS.length;
  t.true(Math.abs(loss - expected) < 1e-5, `${loss} vs ${expected}`);
});

test('sparse_categorical_crossentropy on a non-softmax output (un-fused path)', async (t) => {
  const model = new kiln.Sequential([dense(3, { inputShape: [4], activation: 'sigmoid' })]);
  await checkGradients(t, model, data([6, 4]), kiln.tensor(LABELS), 'sparse_categorical_crossentropy');
});

test('binary_crossentropy on a softmax output (not fusable with binary)', async (t) => {
  const model = new kiln.Sequential([dense(2, { inputShape: [3], activation: 'softmax' })]);
  await checkGradients(
    t,
    model,
    data([6, 3]),
    kiln.tensor([
      [0, 1],
      [1, 0],
      [1, 0],
      [0, 1],
      [0.5, 0.5],
      [0.2, 0.8],
    ]),
    'binary_crossentropy',
  );
});

test('a softmax output read by another layer too is not fused (functional, two outputs)', async (t) => {
  const inputs = kiln.Input({ shape: [3] });
  const probs = dense(3, { activation: 'softmax' }).apply(inputs);
  const other = dense(2).apply(probs);
  const model = new kiln.Model({ inputs, outputs: [probs, other] });
  const x = data([6, 3]);
  await checkGradients(t, model, x, [oneHot(LABELS, 3), data([6, 2], 1)] as any, ['categorical_crossentropy', 'mse'], undefined, { lossWeights: [1, 0.5] });
});

// ---------------------------------------------------------------------------------------------
// Custom layers built from kiln.ops

const unaryCases: [string, (z: any) => any][] = [
  ['exp', (z) => kiln.ops.exp(z)],
  ['square', (z) => kiln.ops.square(z)],
  ['sqrt of positive values', (z) => kiln.ops.sqrt(kiln.ops.add(kiln.ops.square(z), 0.5))],
  ['log of positive values', (z) => kiln.ops.log(kiln.ops.add(kiln.ops.exp(z), 0.25))],
  ['relu / sigmoid / tanh from ops', (z) => kiln.ops.add(kiln.ops.sigmoid(z), kiln.ops.tanh(kiln.ops.mul(z, 0.5)))],
  ['negative and abs (away from 0)', (z) => kiln.ops.negative(kiln.ops.abs(kiln.ops.add(kiln.ops.exp(z), 0.1)))],
  ['mul(x, x) (same tensor twice)', (z) => kiln.ops.mul(z, z)],
  ['add(x, x) and sub(x, 2x)', (z) => kiln.ops.add(kiln.ops.add(z, z), kiln.ops.sub(z, kiln.ops.mul(2, z)))],
  ['softmax from ops', (z) => kiln.ops.softmax(z)],
];

for (const [name, f] of unaryCases) {
  test(`custom layer: ${name}`, async (t) => {
    const model = new kiln.Sequential([dense(3, { inputShape: [3] }), new Fn(f), dense(2)]);
    await checkGradients(t, model, data([5, 3]), data([5, 2], 1), 'mse');
  });
}

const reduceCases: [string, (z: any) => any, number][] = [
  ['sum over the last axis, keepDims', (z) => kiln.ops.mul(z, kiln.ops.sum(z, -1, true)), 4],
  ['mean over axis 1, keepDims', (z) => kiln.ops.sub(z, kiln.ops.mean(z, 1, true)), 4],
  ['max over the last axis, keepDims', (z) => kiln.ops.sub(z, kiln.ops.max(z, -1, true)), 4],
  ['sum over the last axis, no keepDims', (z) => kiln.ops.sum(z, -1), 1],
  ['mean over the last axis, no keepDims', (z) => kiln.ops.mean(kiln.ops.square(z), 1), 1],
  ['max over the last axis, no keepDims', (z) => kiln.ops.max(z, -1), 1],
  ['mean over everything (batch included), broadcast back', (z) => kiln.ops.sub(z, kiln.ops.mean(z)), 4],
];

for (const [name, f, width] of reduceCases) {
  test(`custom layer: ${name}`, async (t) => {
    const x = data([5, 3]);
    const model = new kiln.Sequential([dense(4, { inputShape: [3] }), new Fn(f)]);
    // max needs a unique maximum per row, by more than a perturbation can change it.
    const w = defaultWeights([[3, 4], [4]]);
    const z = kiln.ops.add(kiln.ops.matmul(x, kiln.tensor(w[0], [3, 4])), kiln.tensor(w[1])).toArray() as number[][];
    const gaps = z.map((row) => {
      const sorted = [...row].sort((a, b) => b - a);
      return sorted[0] - sorted[1];
    });
    if (name.startsWith('max')) t.true(Math.min(...gaps) > 2 * H, `row maxima are unique by ${Math.min(...gaps)}`);
    const y = data(width === 1 ? [5] : [5, width], 2);
    await checkGradients(t, model, x, y, 'mse');
  });
}

test('custom layer: reduction to one value per sample feeding a loss of width 1', async (t) => {
  const model = new kiln.Sequential([dense(4, { inputShape: [3] }), new Fn((z) => kiln.ops.sum(z, -1, true))]);
  await checkGradients(t, model, data([5, 3]), data([5, 1], 1), 'mse');
});

test('custom layer: ops.reshape (batch axis included, with -1) then sum over an axis', async (t) => {
  const model = new kiln.Sequential([dense(6, { inputShape: [3] }), new Fn((z) => kiln.ops.sum(kiln.ops.square(kiln.ops.reshape(z, [-1, 2, 3])), 1))]);
  await checkGradients(t, model, data([4, 3]), data([4, 3], 1), 'mse');
});

test('custom layer: reshape to 3-D, reduce the middle axis, then Flatten', async (t) => {
  const model = new kiln.Sequential([dense(8, { inputShape: [2] }), new Fn((z) => kiln.ops.mean(kiln.ops.reshape(z, [-1, 4, 2]), 1, true)), new kiln.layers.Flatten()]);
  await checkGradients(t, model, data([4, 2]), data([4, 2], 1), 'mse');
});

test('custom layer weights: mul/sub/div with broadcasting ([N, k] with [k] and [1, k])', async (t) => {
  const layer = new WithWeights([[3], [1, 3], [3]], (z, [scale, shift, divisor]) => kiln.ops.div(kiln.ops.sub(kiln.ops.mul(z, scale), shift), divisor));
  const model = new kiln.Sequential([dense(3, { inputShape: [2] }), layer]);
  const first = defaultWeights([[2, 3], [3]]).map((w) => Array.from(w));
  // Divisors well away from 0.
  await checkGradients(t, model, data([5, 2]), data([5, 3], 1), 'mse', [...first, [0.8, -1.2, 0.5], [0.1, -0.2, 0.3], [1.5, 2, -1.7]]);
});

test('custom layer weights: scalar weight and a weight used twice', async (t) => {
  const layer = new WithWeights([[], [3]], (z, [s, b]) => kiln.ops.add(kiln.ops.mul(kiln.ops.add(z, b), s), kiln.ops.mul(b, b)));
  const model = new kiln.Sequential([dense(3, { inputShape: [2] }), layer]);
  const first = defaultWeights([[2, 3], [3]]).map((w) => Array.from(w));
  await checkGradients(t, model, data([5, 2]), data([5, 3], 1), 'mse', [...first, [0.7], [0.3, -0.4, 0.9]]);
});

test('custom layer weights: maximum and minimum (both sides used, away from ties)', async (t) => {
  // maximum(z, floor) and minimum(z, ceiling) with per-unit thresholds; check every pair is
  // more than 2H apart so a perturbation (which moves one side by <= H) cannot swap the winner.
  const x = data([6, 2]);
  const first = [0.9, -0.7, 0.4, 0.5, 0.8, -0.6];
  const firstBias = [0.1, -0.1, 0.05];
  const floor = [0.0, -0.2, 0.1];
  const ceiling = [0.6, 0.3, 0.5];
  const z = kiln.ops.add(kiln.ops.matmul(x, kiln.tensor(first, [2, 3])), kiln.tensor(firstBias)).toArray() as number[][];
  const lows = z.flat().map((v, i) => Math.abs(v - floor[i % 3]));
  t.true(Math.min(...lows) > 2 * H, `min gap to floor ${Math.min(...lows)}`);
  const m = z.map((row) => row.map((v, k) => Math.max(v, floor[k])));
  const highs = m.flat().map((v, i) => Math.abs(v - ceiling[i % 3]));
  t.true(Math.min(...highs) > 2 * H, `min gap to ceiling ${Math.min(...highs)}`);
  // Both branches of each op are taken somewhere.
  t.true(z.flat().some((v, i) => v > floor[i % 3]) && z.flat().some((v, i) => v < floor[i % 3]));
  t.true(m.flat().some((v, i) => v > ceiling[i % 3]) && m.flat().some((v, i) => v < ceiling[i % 3]));
  const layer = new WithWeights([[3], [1, 3]], (zz, [lo, hi]) => kiln.ops.minimum(kiln.ops.maximum(zz, lo), hi));
  const model = new kiln.Sequential([dense(3, { inputShape: [2] }), layer, dense(2)]);
  const last = defaultWeights([[3, 2], [2]]).map((w) => Array.from(w));
  await checkGradients(t, model, x, data([6, 2], 1), 'mse', [first, firstBias, floor, ceiling, ...last]);
});

test('custom layer with its own matmul weights (the documented example, functional API)', async (t) => {
  class CustomLayer extends kiln.layers.Layer {
    w!: kiln.Variable;
    b!: kiln.Variable;
    build(inputShape: (number | null)[]) {
      this.w = this.addWeight({ shape: [inputShape[inputShape.length - 1] as number, 1], initializer: 'uniform', name: 'w' });
      this.b = this.addWeight({ shape: [1], initializer: 'uniform', name: 'b' });
    }
    call(inputs: kiln.layers.LayerInput) {
      return kiln.ops.add(kiln.ops.matmul(inputs, this.w), this.b);
    }
  }
  const inputs = kiln.Input({ shape: [4] });
  const hidden = dense(3, { activation: 'tanh' }).apply(inputs);
  const outputs = new CustomLayer().apply(hidden);
  const model = new kiln.Model({ inputs, outputs });
  await checkGradients(t, model, data([5, 4]), data([5, 1], 1), 'mse');
});

test('a layer shared by two branches accumulates both gradients', async (t) => {
  const inputs = kiln.Input({ shape: [3] });
  const shared = dense(3, { activation: 'tanh' });
  const a = shared.apply(inputs);
  const b = shared.apply(new Fn((z) => kiln.ops.mul(z, -0.5)).apply(inputs));
  const merged = new Fn((z) => z).apply(kiln.ops.add(a, b) as kiln.SymbolicTensor);
  const outputs = dense(2).apply(merged);
  const model = new kiln.Model({ inputs, outputs });
  t.is(model.getWeights().length, 4);
  await checkGradients(t, model, data([5, 3]), data([5, 2], 1), 'mse');
});

// ---------------------------------------------------------------------------------------------
// Dropout and frozen layers

const identity = (n: number) => Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 1 : 0));

test('Dropout is the identity in predict and evaluate', async (t) => {
  const x = data([8, 5]);
  const y = data([8, 3], 1);
  const w = defaultWeights([[5, 4], [4], [4, 3], [3]]);
  const withDropout = new kiln.Sequential([dense(4, { inputShape: [5], activation: 'tanh' }), new kiln.layers.Dropout(0.5), dense(3)]);
  const without = new kiln.Sequential([dense(4, { inputShape: [5], activation: 'tanh' }), dense(3)]);
  for (const m of [withDropout, without]) {
    m.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: 'mse' });
    m.setWeights(w.map((v, i) => kiln.tensor(v, [[5, 4], [4], [4, 3], [3]][i])));
  }
  t.deepEqual(flat(await withDropout.predict(x)), flat(await without.predict(x)));
  const [l1, l2] = [await lossOf(withDropout, x, y), await lossOf(without, x, y)];
  t.is(l1, l2);
  // Repeatable: no randomness at inference.
  t.is(await lossOf(withDropout, x, y), l1);
  // The layer called eagerly is the identity too.
  t.deepEqual(flat(new kiln.layers.Dropout(0.5).apply(x)), flat(x));
});

test('Dropout(0.5) in training drops about half the units and scales the rest by 2', async (t) => {
  kiln.setSeed(1234);
  const units = 200;
  const x = kiln.tensor(new Float32Array(units).fill(1), [1, units]);
  const y = kiln.tensor(new Float32Array(units), [1, units]);
  const layer = dense(units, { inputShape: [units], useBias: false });
  const model = new kiln.Sequential([layer, new kiln.layers.Dropout(0.5)]);
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: 'mse' });
  model.setWeights([kiln.tensor(identity(units), [units, units])]);
  t.is(await lossOf(model, x, y), 1); // evaluate: out = 1 everywhere
  const history = await model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
  // Training: out_j = 2 m_j, loss = mean(4 m_j) = 4 * kept / units.
  const kept = (history.history.loss[0] * units) / 4;
  t.true(Math.abs(kept - Math.round(kept)) < 1e-3, `kept = ${kept} is a whole number of units`);
  t.true(kept > units * 0.35 && kept < units * 0.65, `kept ${kept} of ${units}`);
  // dL/dW[i][j] = (2/units) * 2 m_j * 2 m_j * x_i = 8 m_j / units: the dropped columns get no
  // gradient, and exactly `kept` columns move.
  const after = flat(model.getWeights()[0]);
  const before = identity(units);
  const moved = new Set<number>();
  const wrong: string[] = [];
  for (let i = 0; i < units; i++) {
    for (let j = 0; j < units; j++) {
      const g = before[i * units + j] - after[i * units + j];
      if (Math.abs(g) > 1e-6) {
        moved.add(j);
        if (Math.abs(g - 8 / units) > 1e-5) wrong.push(`gradient ${g} at [${i}][${j}]`);
      }
    }
  }
  t.deepEqual(wrong.slice(0, 5), []);
  t.is(moved.size, Math.round(kept));
});

test('Dropout masks are repeatable with kiln.setSeed and differ between steps', async (t) => {
  const run = async (seed: number) => {
    kiln.setSeed(seed);
    const units = 64;
    const model = new kiln.Sequential([dense(units, { inputShape: [units], useBias: false }), new kiln.layers.Dropout(0.5)]);
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
    model.setWeights([kiln.tensor(identity(units), [units, units])]);
    const x = kiln.tensor(new Float32Array(units * 4).fill(1), [4, units]);
    const h = await model.fit(x, kiln.tensor(new Float32Array(units * 4), [4, units]), { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    return h.history.loss;
  };
  const a = await run(7);
  const b = await run(7);
  t.deepEqual(a, b);
  t.true(new Set(a).size > 1, `per-epoch masks differ: ${a}`);
  t.notDeepEqual(await run(8), a);
});

test('Dropout between Dense layers: training loss differs from evaluation loss; rate 0 is a no-op', async (t) => {
  const x = data([16, 5]);
  const y = data([16, 3], 1);
  const make = (rate: number) => {
    const m = new kiln.Sequential([dense(8, { inputShape: [5], activation: 'tanh' }), new kiln.layers.Dropout(rate), dense(3)]);
    m.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
    m.setWeights(defaultWeights(m.getWeights().map((w) => w.shape)).map((v, i) => kiln.tensor(v, m.getWeights()[i].shape)));
    return m;
  };
  const dropped = make(0.5);
  const evalLoss = await lossOf(dropped, x, y);
  const trainLoss = (await dropped.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 })).history.loss[0];
  t.not(trainLoss, evalLoss);
  const plain = make(0);
  const plainEval = await lossOf(plain, x, y);
  t.true(Math.abs(plainEval - evalLoss) < 1e-6);
  const plainTrain = (await plain.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 })).history.loss[0];
  t.true(Math.abs(plainTrain - plainEval) < 1e-6);
});

test('layer.trainable = false before compile keeps its weights through fit', async (t) => {
  const frozen = dense(4, { inputShape: [3], activation: 'tanh' });
  const model = new kiln.Sequential([frozen, dense(2)]);
  frozen.trainable = false;
  t.false(frozen.trainable);
  t.is(frozen.trainableWeights.length, 0);
  t.is(model.trainableWeights.length, 2);
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.5 }), loss: 'mse' });
  const before = model.getWeights().map(flat);
  await model.fit(data([8, 3]), data([8, 2], 1), { epochs: 3, batchSize: 4, verbose: 0 });
  const after = model.getWeights().map(flat);
  t.deepEqual(after[0], before[0]);
  t.deepEqual(after[1], before[1]);
  t.notDeepEqual(after[2], before[2]);
  t.notDeepEqual(after[3], before[3]);
  // Unfreezing takes effect at the next compile.
  frozen.trainable = true;
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.5 }), loss: 'mse' });
  await model.fit(data([8, 3]), data([8, 2], 1), { epochs: 1, batchSize: 8, verbose: 0 });
  t.notDeepEqual(model.getWeights().map(flat)[0], after[0]);
});

test('gradients still flow through a frozen layer to the layers before it', async (t) => {
  const first = dense(3, { inputShape: [3], activation: 'tanh' });
  const frozen = dense(3, { activation: 'sigmoid' });
  const model = new kiln.Sequential([first, frozen, dense(2)]);
  frozen.trainable = false;
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: 'mse' });
  // With the frozen layer's weights treated as constants, a model of the same weights with the
  // middle layer trainable gives the same gradients for the others.
  const shapes = model.getWeights().map((w) => w.shape);
  const w = defaultWeights(shapes);
  const x = data([6, 3]);
  const y = data([6, 2], 1);
  model.setWeights(w.map((v, i) => kiln.tensor(v, shapes[i])));
  await model.fit(x, y, { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 });
  const frozenRun = model.getWeights().map(flat);
  const reference = new kiln.Sequential([dense(3, { inputShape: [3], activation: 'tanh' }), dense(3, { activation: 'sigmoid' }), dense(2)]);
  const ref = await checkGradients(
    t,
    reference,
    x,
    y,
    'mse',
    w.map((v) => Array.from(v)),
  );
  for (const i of [0, 1, 4, 5]) {
    frozenRun[i].forEach((v, j) => t.true(Math.abs(w[i][j] - v - ref.analytic[i][j]) < 1e-5));
  }
  t.deepEqual(frozenRun[2], Array.from(w[2]));
  t.deepEqual(frozenRun[3], Array.from(w[3]));
});

test('a partial last batch is averaged over its own size (fit and evaluate)', async (t) => {
  const x = data([6, 3]);
  const y = data([6, 2], 1);
  const shapes = [[3, 2], [2]];
  const init = defaultWeights(shapes).map((w, i) => kiln.tensor(w, shapes[i]));
  const make = () => {
    const m = new kiln.Sequential([dense(2, { inputShape: [3], activation: 'tanh' })]);
    m.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: 'mse' });
    m.setWeights(init);
    return m;
  };
  const whole = make();
  const fullLoss = await lossOf(whole, x, y);
  const batched = (await whole.evaluate(x, y, { batchSize: 4, verbose: 0 }))[0];
  t.true(Math.abs(batched - fullLoss) < 1e-6, `evaluate with batches of 4 and 2: ${batched} vs ${fullLoss}`);
  await whole.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
  // The same two steps taken by hand: rows 0-3, then rows 4-5.
  const steps = make();
  await steps.fit(x.slice([0, 0], [4, -1]), y.slice([0, 0], [4, -1]), { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
  await steps.fit(x.slice([4, 0], [2, -1]), y.slice([4, 0], [2, -1]), { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
  const [a, b] = [whole.getWeights().map(flat), steps.getWeights().map(flat)];
  a.forEach((w, i) => w.forEach((v, j) => t.true(Math.abs(v - b[i][j]) < 1e-6, `weight ${i}[${j}]: ${v} vs ${b[i][j]}`)));
});
