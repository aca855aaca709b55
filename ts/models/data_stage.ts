// A model's data stage: the preprocessing layers that read its Inputs in JavaScript (text above
// all: TextVectorization, StringLookup, Hashing on a string Input), before the native engine.
// Keras runs them inside the model's graph with TensorFlow's string ops; kiln's engine holds
// numbers only, so the model is split in two: this stage turns each call's raw inputs (arrays
// of strings, numbers) into the tensors the engine is fed (the steps' int32 or float32 outputs,
// and the numeric Inputs as they are), and the engine runs the rest of the graph on them.
import { ShapeError, ValueError } from '../errors.js';
import { DataLayer, FlatBatch } from '../layers/preprocessing/data_layer.js';
import type { Shape, SymbolicTensor } from '../symbolic.js';
import { Tensor } from '../tensor.js';
import { describeValue } from '../utils/options.js';
import { byName, type DataLike, isKeyed, toTensorList } from './data_adapter.js';

/** One data layer's call in the stage: it reads `input` (a model Input or an earlier step's output). */
interface DataStep {
  layer: DataLayer;
  input: SymbolicTensor;
  output: SymbolicTensor;
}

const shapeText = (shape: Shape) => `[${shape.map((d) => d ?? 'null').join(', ')}]`;

/** Whether `t` is a data layer's output: fed to the engine from JavaScript, computed from another tensor. */
export function isDataStepOutput(t: SymbolicTensor): boolean {
  return t.spec.op === 'input' && t.layerCall?.layer instanceof DataLayer;
}

/** Whether `data` is text: a string or an array whose first leaf is one. */
export function isText(data: unknown): boolean {
  let leaf = data;
  while (Array.isArray(leaf) && leaf.length > 0) leaf = leaf[0];
  return typeof leaf === 'string';
}

/** Strings nested as a regular array, flattened; anything else is refused naming what and where. */
function flattenText(where: string, data: unknown): FlatBatch<string> {
  if (data instanceof Tensor) throw new ValueError(`${where} takes text as JavaScript strings (an array of strings), got a ${data.dtype} Tensor of shape [${data.shape.join(', ')}]`);
  if (ArrayBuffer.isView(data) || typeof data === 'number') throw new ValueError(`${where} takes text as JavaScript strings (an array of strings), got numbers: ${describeValue(data)}`);
  const shape: number[] = [];
  for (let v: unknown = data; Array.isArray(v); v = v[0]) shape.push(v.length);
  const values = (Array.isArray(data) ? data.flat(Infinity) : [data]) as unknown[];
  if (values.length !== shape.reduce((a, b) => a * b, 1)) throw new ValueError(`${where} takes a regular array of strings (every row as long), got a ragged array: ${describeValue(data)}`);
  const bad = values.findIndex((v) => typeof v !== 'string');
  if (bad >= 0) throw new ValueError(`${where} takes text as JavaScript strings, got ${describeValue(values[bad])} at position ${bad} (in row-major order) of ${describeValue(data)}`);
  return new FlatBatch(values as string[], shape);
}

/**
 * `shape` made to match `expected` as Keras adjusts a rank: a missing last axis of 1 added
 * (['a', 'b'] for an Input of shape [1]), an extra last axis of 1 dropped; then checked.
 */
function fitRank(where: string, shape: number[], expected: Shape): number[] {
  let fitted = shape;
  if (shape.length === expected.length - 1 && expected[expected.length - 1] === 1) fitted = [...shape, 1];
  else if (shape.length === expected.length + 1 && shape[shape.length - 1] === 1) fitted = shape.slice(0, -1);
  if (fitted.length !== expected.length || expected.some((d, k) => d !== null && d !== fitted[k])) {
    throw new ShapeError(`${where} is incompatible: expected shape ${shapeText(expected)}, got [${shape.join(', ')}]`);
  }
  return fitted;
}

/** The preprocessing a model runs in JavaScript before its engine (see the file comment). */
export class DataStage {
  private constructor(
    private readonly modelName: string,
    private readonly inputs: SymbolicTensor[],
    private readonly steps: DataStep[],
    /** What the engine is fed: the numeric Inputs, then each step's output. */
    readonly engineInputs: SymbolicTensor[],
  ) {}

  /**
   * The stage of the graph from `inputs` to `outputs`, or undefined when it has none. Refuses a
   * string Input that no data layer reads, and a string tensor as an output.
   */
  static of(modelName: string, inputs: SymbolicTensor[], outputs: SymbolicTensor[]): DataStage | undefined {
    const where = `Model "${modelName}"`;
    const text = outputs.find((t) => t.dtype === 'string');
    if (text)
      throw new ValueError(`${where}: the output ${text.toString()} holds strings, which the engine cannot compute; a string Input must go through a TextVectorization, StringLookup or Hashing layer`);
    const found: SymbolicTensor[] = [];
    const seen = new Set<SymbolicTensor>();
    const stack = [...outputs];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      if (isDataStepOutput(t)) found.push(t);
      else stack.push(...t.inputs);
    }
    // Steps in the order they can run: a step after the step it reads.
    const steps: DataStep[] = [];
    const placed = new Set<SymbolicTensor>();
    const place = (output: SymbolicTensor): void => {
      if (placed.has(output)) return;
      placed.add(output);
      const input = output.layerCall!.inputs[0];
      if (isDataStepOutput(input)) place(input);
      else if (!inputs.includes(input)) throw new ValueError(`Graph disconnected: layer "${output.layerCall!.layer.name}" reads ${input.toString()}, which is not one of the model's inputs`);
      steps.push({ layer: output.layerCall!.layer as DataLayer, input, output });
    };
    found.forEach(place);
    const unread = inputs.find((t) => t.dtype === 'string' && !steps.some((s) => s.input === t));
    if (unread) {
      throw new ValueError(
        `${where}: the input "${unread.name}" has dtype 'string', but no layer of the model reads it; text must go through a TextVectorization, StringLookup or Hashing layer applied to that Input (the engine computes on numbers only)`,
      );
    }
    if (steps.length === 0) return undefined;
    return new DataStage(modelName, inputs, steps, [...inputs.filter((t) => t.dtype !== 'string'), ...steps.map((s) => s.output)]);
  }

  /**
   * The engine's inputs for the raw data `x` (one item per model Input: a list in order, or an
   * object keyed by Input name): each Input's data checked against it, then every step computed.
   */
  feed(x: unknown, inputNames: string[], what: string): Tensor[] {
    const items = this.split(x, inputNames, what);
    const values = new Map<SymbolicTensor, unknown>();
    this.inputs.forEach((input, i) => {
      const where = `Input ${i} ("${input.name}") of model "${this.modelName}"`;
      if (input.dtype === 'string') {
        const text = flattenText(`${what}: ${where} has dtype 'string': it`, items[i]);
        values.set(input, new FlatBatch(text.values, fitRank(where, text.shape, input.shape)));
        return;
      }
      if (isText(items[i])) throw new ValueError(`${what}: ${where} has dtype '${input.dtype}' and takes numbers, got strings: ${describeValue(items[i])}`);
      let t = toTensorList(items[i] as DataLike, 'x', [input.shape])[0];
      if (input.dtype !== 'float32' && t.dtype !== input.dtype) t = t.astype(input.dtype);
      const shape = fitRank(where, t.shape, input.shape);
      values.set(input, shape.length === t.rank ? t : t.reshape(shape));
    });
    for (const { layer, input, output } of this.steps) {
      const result = layer.computeBatch(values.get(input));
      const fits = result.rank === output.rank && output.shape.every((d, k) => d === null || d === result.shape[k]);
      if (!fits) throw new ShapeError(`Layer "${layer.name}" (${layer.constructor.name}) computed shape [${result.shape.join(', ')}] where the model expects ${shapeText(output.shape)}`);
      values.set(output, output.dtype === 'int32' && result.dtype !== 'int32' ? result.astype('int32') : result);
    }
    return this.engineInputs.map((t) => values.get(t) as Tensor);
  }

  /** One item of `x` per model Input. */
  private split(x: unknown, inputNames: string[], what: string): unknown[] {
    if (x === undefined || x === null) throw new ValueError(`${what}: x is required`);
    if (isKeyed(x as DataLike)) return byName(x as Record<string, never>, inputNames, `${what}: x`);
    if (this.inputs.length === 1) return [x];
    if (!Array.isArray(x) || x.length !== this.inputs.length) {
      throw new ValueError(
        `${what}: model "${this.modelName}" has ${this.inputs.length} inputs (${inputNames.map((n) => `"${n}"`).join(', ')}); give x as a list of ${this.inputs.length} arrays in that order, or an object keyed by those names, got ${describeValue(x)}`,
      );
    }
    return x;
  }
}
