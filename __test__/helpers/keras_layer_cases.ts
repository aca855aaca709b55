// Comparison of kiln layers with Keras 3 fixtures (scripts/fixtures/keras_layers*.py): the
// fixture format, building the layer a case names, and the output and gradient checks.
//
// Outputs: a functional model Input(s) -> layer gets Keras' weights and must predict Keras'
// output. Gradients go through the public training API. The fixture holds R and Keras'
// gradients of sum(output * R). kiln's 'mse' is, per sample, the mean over all W values of the
// sample, then the mean over the N samples of the batch, so d mse / d output = 2 (y - t) / (N W);
// the target t = y - R N W / 2 makes that R, and one step of SGD(learningRate 1) over one batch
// holding every sample subtracts exactly d sum(output * R) / d weight from each weight. The
// input gradient is reached through a ones-valued elementwise scale in front of the layer (one
// per input): its gradient is the sum over the batch of x * d sum(output * R) / d input.
import type { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

export interface FixtureArray {
  shape: number[];
  data: number[];
}
export interface Case {
  name: string;
  layer: string;
  args: unknown[];
  options: Record<string, unknown>;
  weights: FixtureArray[];
  output: FixtureArray;
  R: FixtureArray;
  weightGrads: FixtureArray[];
  /** Single-input cases. */
  inputShape?: number[];
  x?: FixtureArray;
  inputGrad?: FixtureArray;
  inputGradSum?: FixtureArray;
  /** Several-input (merge) cases: the same, one per input. */
  inputShapes?: number[][];
  xs?: FixtureArray[];
  inputGrads?: FixtureArray[];
  inputGradSums?: FixtureArray[];
}
export interface Fixture {
  keras: string;
  backend: string;
  batch: number;
  cases: Case[];
}

export function readFixture(file: string): Fixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));
}

export const OUTPUT_ATOL = 1e-5;
export const OUTPUT_RTOL = 1e-5;
export const GRAD_ATOL = 2e-5;
export const GRAD_RTOL = 1e-4;

type LayerClass = new (...args: never[]) => kiln.layers.Layer;
export const layerClass = (name: string): LayerClass => (kiln.layers as unknown as Record<string, LayerClass>)[name];

export function makeLayer(c: Case): kiln.layers.Layer {
  const Cls = layerClass(c.layer);
  if (typeof Cls !== 'function') throw new Error(`kiln.layers.${c.layer} does not exist`);
  return new (Cls as new (...args: unknown[]) => kiln.layers.Layer)(...c.args, c.options);
}

export const toTensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.data), a.shape);

/** The case's inputs as lists (one entry for single-input layers). */
export function caseInputs(c: Case): { shapes: number[][]; xs: FixtureArray[]; gradSums: FixtureArray[] } {
  if (c.inputShapes) return { shapes: c.inputShapes, xs: c.xs!, gradSums: c.inputGradSums! };
  return { shapes: [c.inputShape!], xs: [c.x!], gradSums: [c.inputGradSum!] };
}

/** Multiplies its input elementwise by a weight of the sample's shape (initialised to ones). */
export class Scale extends kiln.layers.Layer {
  w!: kiln.Variable;
  build(inputShape: kiln.Shape) {
    this.w = this.addWeight({ shape: inputShape.slice(1) as number[], initializer: 'ones', name: 'scale' });
  }
  call(inputs: kiln.layers.LayerInput) {
    return kiln.ops.mul(inputs, this.w);
  }
}

/** Checks |actual - expected| <= atol + rtol |expected| everywhere; reports the worst element. */
export function allClose(t: ExecutionContext, actual: ArrayLike<number>, expected: FixtureArray, atol: number, rtol: number, what: string) {
  t.is(actual.length, expected.data.length, `${what}: size`);
  let worst = -1;
  let worstExcess = 0;
  let maxErr = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const err = Math.abs(actual[i] - expected.data[i]);
    maxErr = Math.max(maxErr, err);
    const excess = err - (atol + rtol * Math.abs(expected.data[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    t.fail(`${what}: element ${worst} of shape [${expected.shape}] is ${actual[worst]}, Keras gives ${expected.data[worst]} (max abs error ${maxErr})`);
  } else {
    t.pass();
  }
}

/** Input(s) -> layer with Keras' weights must predict Keras' output, with Keras' symbolic shape. */
export async function checkOutput(t: ExecutionContext, c: Case, batch: number) {
  const { shapes, xs } = caseInputs(c);
  const inputs = shapes.map((shape) => kiln.Input({ shape }));
  const layer = makeLayer(c);
  const model = new kiln.Model({ inputs, outputs: layer.apply(inputs.length === 1 ? inputs[0] : inputs) });
  t.deepEqual(model.outputs[0].shape, [null, ...c.output.shape.slice(1)], 'symbolic output shape');
  model.setWeights(c.weights.map(toTensor));
  const x = xs.map(toTensor);
  const y = await model.predict(x.length === 1 ? x[0] : x, { batchSize: batch });
  t.deepEqual(y.shape, c.output.shape);
  allClose(t, y.dataSync(), c.output, OUTPUT_ATOL, OUTPUT_RTOL, 'output');
}

/**
 * One full-batch SGD(1) step on the target that makes d loss / d output = R: returns what it
 * subtracted from each weight (first the input scales, one per input, then the layer's).
 */
export async function fitGradients(c: Case): Promise<{ grads: Float64Array[]; layer: kiln.layers.Layer }> {
  const { shapes, xs, gradSums } = caseInputs(c);
  const n = xs[0].shape[0];
  const width = c.output.data.length / n;
  const inputs = shapes.map((shape) => kiln.Input({ shape }));
  const scaled = inputs.map((input) => new Scale().apply(input));
  const layer = makeLayer(c);
  const model = new kiln.Model({ inputs, outputs: layer.apply(scaled.length === 1 ? scaled[0] : scaled) });
  const ones = gradSums.map((g, i) => ({ shape: shapes[i], data: new Array(g.data.length).fill(1) }));
  const start = [...ones, ...c.weights].map(toTensor);
  model.setWeights(start);
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: 'mse' });
  const x = xs.map(toTensor);
  const input = x.length === 1 ? x[0] : x;
  const y = (await model.predict(input, { batchSize: n })).dataSync();
  // d mse / d y = 2 (y - target) / (n width) = R
  const target = kiln.tensor(
    Float32Array.from(y, (v, i) => v - (c.R.data[i] * n * width) / 2),
    c.output.shape,
  );
  await model.fit(input, target, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
  const after = model.getWeights().map((w) => w.dataSync());
  return { grads: start.map((w, i) => Float64Array.from(w.dataSync(), (v, j) => v - after[i][j])), layer };
}

/** Every weight's gradient and every input's (through its scale) against Keras'. */
export async function checkGradients(t: ExecutionContext, c: Case) {
  const { gradSums } = caseInputs(c);
  const { grads, layer } = await fitGradients(c);
  const inputCount = gradSums.length;
  t.is(grads.length, inputCount + c.weightGrads.length, "weights: the scales, then the layer's in Keras' order");
  c.weightGrads.forEach((g, i) => allClose(t, grads[inputCount + i], g, GRAD_ATOL, GRAD_RTOL, `gradient of weight ${i} (${layer.weights[i]?.name})`));
  gradSums.forEach((g, i) => allClose(t, grads[i], g, GRAD_ATOL, GRAD_RTOL, `input ${i} gradient (sum over the batch of x * dL/dx)`));
}
