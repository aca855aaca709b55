// The base of preprocessing layers that run in JavaScript on concrete data (strings, token ids)
// before the native engine sees it: the text and lookup layers, Hashing and Discretization.
// kiln's tensors hold numbers only, so strings can only live here. Applied to data they compute
// at once; applied to a model's Input (a string Input: `kiln.Input({ shape: [1], dtype: 'string' })`)
// they record a step of the model's data stage (models/data_stage.ts), which runs them on each
// batch in JavaScript and feeds their int32 (or float32 for the encoded modes) output to the engine.
import { ValueError } from '../../errors.js';
import { insideCall, type Shape, type SymbolicDType, SymbolicTensor } from '../../symbolic.js';
import { type NestedArray, Tensor, tensor, type TensorLike } from '../../tensor.js';
import { describeValue, isOptionsObject } from '../../utils/options.js';
import { Layer, type CallOptions, type LayerInput, type LayerOutput } from '../layer.js';

/** Strings nested as a batch: `'a b'`, `['a b', 'c']`, `[['a'], ['b']]`. */
export type StringData = string | StringData[];

/** Data with its shape, flattened in row-major order. */
export interface FlatData<T> {
  values: T[];
  shape: number[];
}

/** Data a data layer takes: strings, numbers (nested arrays or typed arrays) or a Tensor. */
export type DataInput = StringData | TensorLike;

/** Refuses constructor arguments that are not an options object, before any is read. */
export function requireOptionsObject(layer: string, args: unknown): void {
  if (args !== undefined && args !== null && !isOptionsObject(args)) throw new ValueError(`${layer}: expected an options object, got ${describeValue(args)}`);
}

/** @internal Data already flattened (a model's data stage hands its batches over so). */
export class FlatBatch<T extends string | number> implements FlatData<T> {
  constructor(
    readonly values: T[],
    readonly shape: number[],
  ) {}
}

/** Flattens a regular nested array of strings or numbers, refusing ragged or mixed ones. */
export function flattenData(where: string, data: unknown): FlatData<string | number> {
  if (data instanceof FlatBatch) return data;
  if (data instanceof Tensor) return { values: Array.from(data.dataSync()), shape: [...data.shape] as number[] };
  if (ArrayBuffer.isView(data)) return { values: Array.from(data as unknown as ArrayLike<number>), shape: [(data as unknown as ArrayLike<number>).length] };
  const shape: number[] = [];
  for (let v: unknown = data; Array.isArray(v); v = v[0]) shape.push(v.length);
  const values = (Array.isArray(data) ? data.flat(Infinity) : [data]) as unknown[];
  const regular = values.length === shape.reduce((a, b) => a * b, 1);
  const kind = typeof values[0];
  if (!regular || values.some((v) => typeof v !== kind || (kind !== 'string' && kind !== 'number'))) {
    throw new ValueError(`${where}: expected a string, a number, a regular nested array of them or a Tensor, got ${describeValue(data)}`);
  }
  return { values: values as (string | number)[], shape };
}

/** Refuses data that is not strings, naming the layer. */
export function requireStrings(where: string, data: FlatData<string | number>, given: unknown): FlatData<string> {
  if (data.values.length > 0 && typeof data.values[0] !== 'string') {
    throw new ValueError(`${where}: expected strings (a string or a nested array of strings), got numbers: ${describeValue(given)}. Give the text as JavaScript strings`);
  }
  return data as FlatData<string>;
}

/** Refuses data that is not numbers, naming the layer. */
export function requireNumbers(where: string, data: FlatData<string | number>, given: unknown): FlatData<number> {
  if (data.values.length > 0 && typeof data.values[0] !== 'number') {
    throw new ValueError(`${where}: expected numbers (a Tensor, a typed array or a nested array of numbers), got strings: ${describeValue(given)}`);
  }
  return data as FlatData<number>;
}

/** Batches adapt() reads: one array or Tensor, or an iterable of batches (a Dataset, a generator). */
export type DataBatches = DataInput | Iterable<DataInput> | AsyncIterable<DataInput | DataInput[]>;

/**
 * The batches of `data` for adapt(): a Tensor or a nested array is one batch; a list of
 * Tensors, a kiln.data.Dataset or a (sync or async) generator yields several, whose elements
 * may be (x, y) pairs.
 */
export async function* adaptBatches(data: DataBatches): AsyncGenerator<unknown> {
  const single = typeof data === 'string' || typeof data === 'number' || data instanceof Tensor || ArrayBuffer.isView(data) || (Array.isArray(data) && !data.every((d) => d instanceof Tensor));
  if (single) {
    yield data;
    return;
  }
  if (data === null || typeof data !== 'object') throw new ValueError(`adapt(): expected data (an array, a Tensor, a Dataset or a generator of batches), got ${describeValue(data)}`);
  for await (const element of data as AsyncIterable<unknown>) {
    // A Dataset of (x, y) pairs: x is what the layer adapts to.
    const pair = Array.isArray(element) && element.length === 2 && element.every((e) => e instanceof Tensor);
    yield pair ? (element as Tensor[])[0] : element;
  }
}

/** A Tensor of `values` with `shape`, int32 or float32. */
export function outputTensor(values: ArrayLike<number>, shape: number[], dtype: 'int32' | 'float32'): Tensor {
  return tensor(dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values), shape, dtype);
}

/** What a data layer's output is in a model: its shape and the dtype the engine reads. */
export interface DataOutputSpec {
  /** The output shape, batch axis first (null where the length varies). */
  shape: Shape;
  /** 'int32' for indices and bins, 'float32' for the encoded vectors. */
  dtype: 'int32' | 'float32';
}

/** Numbers its calls as a step of models' data stages (compared only among one layer's calls). */
let nextStepOrder = 0;

const shapeText = (shape: Shape) => `[${shape.map((d) => d ?? 'null').join(', ')}]`;

/**
 * A layer computed in JavaScript on concrete data. `apply` takes what `compute` accepts
 * (strings included); on a model's Input it records a step of the model's data stage.
 */
export abstract class DataLayer extends Layer {
  /** The output for concrete data: a Tensor, or tokens for an inverse lookup. */
  protected abstract compute(data: unknown): Tensor | StringData | NestedArray;

  /**
   * Its output in a model, for an input of `inputShape` and `inputDtype` (Keras'
   * compute_output_spec); refuses inputs of the wrong kind (numbers to a text layer).
   */
  abstract outputSpec(inputShape: Shape, inputDtype: SymbolicDType): DataOutputSpec;

  /** The layer as messages name it. */
  protected get where(): string {
    return `Layer "${this.name}" (${this.constructor.name})`;
  }

  /** Refuses an input whose dtype is not the kind the layer reads. */
  protected requireInputKind(inputDtype: SymbolicDType, kind: 'string' | 'number'): void {
    if ((inputDtype === 'string') === (kind === 'string')) return;
    const wanted = kind === 'string' ? "a string Input (kiln.Input({ shape: [1], dtype: 'string' }))" : "numbers (an Input of dtype 'int32' or 'float32')";
    throw new ValueError(`${this.where} reads ${kind === 'string' ? 'strings' : 'numbers'}: in a model it takes ${wanted}, got an input of dtype '${inputDtype}'`);
  }

  /** Concrete data flattened, refusing irregular arrays. */
  protected flattenInput(data: unknown): FlatData<string | number> {
    return flattenData(this.where, data);
  }

  /** @internal Computes a batch of a model's data stage (see models/data_stage.ts). */
  computeBatch(data: unknown): Tensor {
    const output = this.compute(data);
    if (!(output instanceof Tensor)) throw new ValueError(`${this.where}: its output (strings) cannot feed a model's engine`);
    return output;
  }

  override apply<T = Tensor>(inputs: unknown, options?: CallOptions): T {
    void options;
    const symbolic = inputs instanceof SymbolicTensor ? inputs : Array.isArray(inputs) ? inputs.find((v) => v instanceof SymbolicTensor) : undefined;
    if (symbolic) return this.recordStep(inputs, symbolic) as T;
    this.built = true;
    return this.compute(inputs) as T;
  }

  /**
   * Records this layer as a step of a model's data stage: its output is fed to the engine from
   * JavaScript (an 'input' node there), computed from a model Input or another step's output.
   */
  private recordStep(inputs: unknown, input: SymbolicTensor): SymbolicTensor {
    if (inputs !== input) throw new ValueError(`${this.where} takes one input in a model, got ${describeValue(inputs)}`);
    if (insideCall())
      throw new ValueError(`${this.where} runs in JavaScript on the data before the model's engine, so it cannot be called inside another layer's call(); apply it to the model's Input`);
    if (input.spec.op !== 'input') {
      const producer = input.sourceLayer ? `layer "${input.sourceLayer.name}"` : 'an op';
      throw new ValueError(
        `${this.where} runs in JavaScript on the data before the model's engine, so in a model it must read a model Input (text: kiln.Input({ shape: [1], dtype: 'string' })) or another preprocessing layer's output; it was applied to ${input.toString()}, computed by ${producer} inside the engine. Put the string and lookup layers first`,
      );
    }
    const { shape, dtype } = this.outputSpec(input.shape, input.dtype);
    const output = new SymbolicTensor(shape, { op: 'input', shape }, [], this.name);
    output.dtype = dtype;
    const nodeIndex = this.inboundNodes.push({ inputs: [input], outputs: [output] }) - 1;
    Object.assign(output, { sourceLayer: this, nodeIndex, tensorIndex: 0 });
    output.layerCall = { layer: this, inputs: [input], listInput: false, order: nextStepOrder++ };
    this.lastInputShape = input.shape;
    this.lastOutputShape = shape;
    this.lastOutputShapes = [shape];
    this.built = true;
    return output;
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    return this.apply<Tensor>(inputs);
  }
}

/**
 * The output shape of ids of `inputShape` encoded by `mode` into `depth` wide vectors, as
 * encodeCategorical computes it: 'int' keeps the shape, 'one_hot' adds (or replaces a last 1
 * with) the depth axis, the others reduce a [batch, tokens] input to [batch, depth].
 */
export function encodedOutputShape(where: string, inputShape: Shape, mode: string, depth: number | null): Shape {
  if (mode === 'int') return inputShape;
  if (depth === null)
    throw new ValueError(
      `${where}: outputMode '${mode}' needs the vocabulary (or bins) before the layer is applied to a model input, to know its output width: adapt() it or give the vocabulary first`,
    );
  if (mode === 'one_hot') return inputShape.length > 1 && inputShape[inputShape.length - 1] === 1 ? [...inputShape.slice(0, -1), depth] : [...inputShape, depth];
  if (inputShape.length !== 2) throw new ValueError(`${where}: outputMode '${mode}' in a model takes a batch of token lists, an input of shape [batch, tokens]; got ${shapeText(inputShape)}`);
  return [inputShape[0], depth];
}
