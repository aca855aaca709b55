// The base of preprocessing layers that run in JavaScript on concrete data (strings, token ids)
// before the native engine sees it: the text and lookup layers, Hashing and Discretization.
// kiln's tensors hold numbers only, so strings can only live here; the layers are applied to the
// data (directly, or in `dataset.map`), as keras.io's text examples apply TextVectorization in
// the tf.data pipeline. Their output is an int32 (or float32 for the encoded modes) Tensor.
import { ValueError } from '../../errors.js';
import { SymbolicTensor } from '../../symbolic.js';
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

/** Flattens a regular nested array of strings or numbers, refusing ragged or mixed ones. */
export function flattenData(where: string, data: unknown): FlatData<string | number> {
  if (data instanceof SymbolicTensor) {
    // kiln's engine holds numbers only, so a model cannot take strings: the layer goes before it.
    throw new ValueError(`${where} runs in JavaScript on concrete data (strings or ids), before the model's engine, so it cannot be a layer of a model (got a symbolic tensor of shape [${data.shape.map((d) => d ?? 'null')}]): apply it to your data (for example each batch of a Dataset.fromGenerator) and give the model its output, as keras.io's text examples do in their tf.data pipeline`);
  }
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

/**
 * A layer computed in JavaScript on concrete data. `apply` takes what `compute` accepts
 * (strings included); on a symbolic tensor it says the layer belongs before the model.
 */
export abstract class DataLayer extends Layer {
  /** The output for concrete data: a Tensor, or tokens for an inverse lookup. */
  protected abstract compute(data: unknown): Tensor | StringData | NestedArray;

  /** The layer as messages name it. */
  protected get where(): string {
    return `Layer "${this.name}" (${this.constructor.name})`;
  }

  /** Concrete data flattened, refusing symbolic tensors and irregular arrays. */
  protected flattenInput(data: unknown): FlatData<string | number> {
    return flattenData(this.where, data);
  }

  override apply<T = Tensor>(inputs: unknown, options?: CallOptions): T {
    void options;
    if (inputs instanceof SymbolicTensor || (Array.isArray(inputs) && inputs.some((v) => v instanceof SymbolicTensor))) flattenData(this.where, inputs instanceof SymbolicTensor ? inputs : inputs.find((v) => v instanceof SymbolicTensor));
    this.built = true;
    return this.compute(inputs) as T;
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    return this.apply<Tensor>(inputs);
  }
}
