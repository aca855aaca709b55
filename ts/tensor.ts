import type { NativeTensor } from '../native.cjs';
import { ShapeError, ValueError } from './errors.js';
import { callNative, native } from './native.js';
import { checkIndices, checkShape } from './utils/integers.js';
import { describeValue } from './utils/options.js';

/** The element types of a Tensor. Model computations are float32; int32 holds labels and indices, uint8 images. */
export type DType = 'float32' | 'int32' | 'uint8';
/** The typed array of each dtype: Float32Array, Int32Array or Uint8Array. */
export type TypedArray = Float32Array | Int32Array | Uint8Array;
/** Numbers nested to any depth, as `tensor()` and `toArray()` use them. */
export type NestedArray = number | NestedArray[];
/** Anything an argument that takes a tensor accepts. */
export type TensorLike = Tensor | TypedArray | NestedArray;

const DTYPES: readonly DType[] = ['float32', 'int32', 'uint8'];

function checkDtype(dtype: string): DType {
  if (!DTYPES.includes(dtype as DType)) {
    throw new ValueError(`Unknown dtype ${typeof dtype === 'string' ? `'${dtype}'` : describeValue(dtype)}. Valid dtypes: ${DTYPES.map((d) => `'${d}'`).join(', ')}`);
  }
  return dtype as DType;
}

/**
 * An immutable n-dimensional array held in native memory. The garbage collector frees it;
 * `dispose()` frees it early.
 */
export class Tensor {
  /** @internal */
  readonly handle: NativeTensor;
  /** The size of each axis. */
  readonly shape: number[];
  /** The element type. */
  readonly dtype: DType;

  /** @internal Tensors are made with `kiln.tensor()` or by ops. */
  constructor(handle: NativeTensor) {
    this.handle = handle;
    this.shape = handle.shape;
    this.dtype = handle.dtype as DType;
  }

  /** The number of elements (the product of the shape; 1 for a scalar). */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The number of axes (0 for a scalar). */
  get rank(): number {
    return this.shape.length;
  }

  /** A copy of the values as a typed array of the tensor's dtype. */
  dataSync(): TypedArray {
    return callNative(() => this.handle.dataSync());
  }

  /** The same as `dataSync()`, as a promise. */
  async data(): Promise<TypedArray> {
    return this.dataSync();
  }

  /** The values as nested arrays of numbers (a number for a scalar). */
  toArray(): NestedArray {
    const values = Array.from(this.dataSync());
    if (this.rank === 0) return values[0];
    const build = (axis: number, offset: number): NestedArray[] => {
      const stride = this.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[axis]; i++) {
        out.push(axis === this.rank - 1 ? values[offset + i] : build(axis + 1, offset + i * stride));
      }
      return out;
    };
    return build(0, 0);
  }

  /** Frees the native memory now; using the tensor afterwards throws. */
  dispose(): void {
    this.handle.dispose();
  }

  /** Whether `dispose()` has freed it. */
  get isDisposed(): boolean {
    return this.handle.disposed;
  }

  /** A new shape for the same values; one dimension may be -1. */
  reshape(shape: number[]): Tensor {
    checkShape('reshape', shape, { inferred: true });
    return new Tensor(callNative(() => this.handle.reshape(shape)));
  }

  /** A copy with the values converted to `dtype` ('float32', 'int32' or 'uint8'); another name is refused with a ValueError. */
  astype(dtype: DType): Tensor {
    checkDtype(dtype);
    return new Tensor(callNative(() => this.handle.astype(dtype)));
  }

  /** Elementwise `this + other`, with numpy broadcasting. */
  add(other: TensorLike): Tensor {
    return binary('add', this, other);
  }
  /** Elementwise `this - other`, with numpy broadcasting. */
  sub(other: TensorLike): Tensor {
    return binary('sub', this, other);
  }
  /** Elementwise `this * other`, with numpy broadcasting. */
  mul(other: TensorLike): Tensor {
    return binary('mul', this, other);
  }
  /** Elementwise `this / other`, with numpy broadcasting. */
  div(other: TensorLike): Tensor {
    return binary('div', this, other);
  }

  /** Index of the largest value along `axis` (int32). */
  argMax(axis = -1): Tensor {
    return new Tensor(callNative(() => native.argMax(this.handle, axis)));
  }

  /** `size[i] = -1` takes the rest of axis i. */
  slice(begin: number[], size: number[]): Tensor {
    return new Tensor(callNative(() => native.slice(this.handle, begin, size)));
  }

  /** Rows (axis 0) at `indices` (integers; NaN, fractions and negatives are refused, not truncated). */
  gather(indices: TensorLike): Tensor {
    const values: ArrayLike<number> =
      indices instanceof Tensor ? indices.dataSync() : Array.isArray(indices) ? ((indices as unknown[]).flat(MAX_NESTING as 1) as number[]) : typeof indices === 'number' ? [indices] : indices;
    checkIndices('gather', values, this.shape[0] ?? 0);
    const idx = Array.from(values);
    return new Tensor(callNative(() => native.gather(this.handle, idx)));
  }

  /** Permutes the axes (reverses them by default). */
  transpose(perm?: number[]): Tensor {
    return new Tensor(callNative(() => native.transpose(this.handle, perm)));
  }

  /** `Tensor(shape=[2, 2], dtype=float32) [[1,2],[3,4]]`: the values are shown up to 20 elements. */
  toString(): string {
    const values = this.size <= 20 ? ` ${JSON.stringify(this.toArray())}` : '';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype})${values}`;
  }
}

function binary(name: string, a: Tensor, b: TensorLike): Tensor {
  const other = toTensor(b);
  return new Tensor(callNative(() => native.binaryOp(name, a.handle, other.handle)));
}

/** Nesting deeper than this is refused (a self-referencing array would nest forever). */
const MAX_NESTING = 64;

/** The shape of nested arrays, read along their first elements. */
function nestedShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    if (shape.length >= MAX_NESTING) throw new ShapeError(`tensor(): arrays nested more than ${MAX_NESTING} deep (a self-referencing array?); kiln tensors have at most ${MAX_NESTING} axes`);
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

/** Flattens nested arrays, checking that every branch has the same shape. */
function flatten(values: NestedArray, shape: number[], depth: number, out: number[]): void {
  if (Array.isArray(values)) {
    if (depth >= shape.length || values.length !== shape[depth]) {
      const expected = depth >= shape.length ? 'a number' : `${shape[depth]} values`;
      const got = depth >= shape.length ? `an array of ${values.length}` : values.length;
      throw new ShapeError(`tensor(): nested arrays are ragged: expected ${expected} at depth ${depth}, got ${got}`);
    }
    for (const v of values) flatten(v, shape, depth + 1, out);
    return;
  }
  if (typeof values !== 'number') throw new ValueError(`tensor(): expected numbers, got ${typeof values}`);
  if (depth !== shape.length) throw new ShapeError(`tensor(): nested arrays are ragged: expected an array of ${shape[depth]} values at depth ${depth}, got a number`);
  out.push(values);
}

function typedFor(dtype: DType, values: ArrayLike<number>): TypedArray {
  if (dtype === 'int32') return Int32Array.from(values);
  if (dtype === 'uint8') return Uint8Array.from(values);
  return Float32Array.from(values);
}

/**
 * Makes a tensor from nested arrays, a flat array or a typed array. The dtype defaults to the
 * typed array's, else float32; `shape` defaults to the nesting (a flat array is 1-D).
 */
export function tensor(values: TensorLike, shape?: number[], dtype?: DType): Tensor {
  if (values instanceof Tensor) {
    let t = values;
    if (shape !== undefined && shape !== null) t = t.reshape(shape);
    return dtype && dtype !== t.dtype ? t.astype(dtype) : t;
  }
  let data: TypedArray;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    const kind = values instanceof Float32Array ? 'float32' : values instanceof Int32Array ? 'int32' : values instanceof Uint8Array ? 'uint8' : undefined;
    if (!kind) throw new ValueError('tensor(): typed arrays must be Float32Array, Int32Array or Uint8Array');
    const wanted = checkDtype(dtype ?? kind);
    data = wanted === kind ? values : typedFor(wanted, values);
    inferred = [values.length];
  } else {
    inferred = nestedShape(values);
    const flat: number[] = [];
    flatten(values, inferred, 0, flat);
    data = typedFor(checkDtype(dtype ?? 'float32'), flat);
  }
  const finalShape = shape ?? inferred;
  // Any shape given is checked (false or 0 were taken for no shape and reached native code).
  if (shape !== undefined && shape !== null) {
    checkShape('tensor()', shape, { inferred: true });
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const unknown = shape.filter((d) => d === -1).length;
    if (unknown === 1 && known > 0 && data.length % known === 0) {
      return tensor(
        data,
        shape.map((d) => (d === -1 ? data.length / known : d)),
      );
    }
    if (unknown > 0 || known !== data.length) {
      throw new ShapeError(`tensor(): ${data.length} values cannot have shape [${shape.join(', ')}]`);
    }
  }
  const handle = callNative(() => {
    if (data instanceof Float32Array) return native.NativeTensor.fromFloat32(data, finalShape);
    if (data instanceof Int32Array) return native.NativeTensor.fromInt32(data, finalShape);
    return native.NativeTensor.fromUint8(data as Uint8Array, finalShape);
  });
  return new Tensor(handle);
}

/** Accepts a tensor or anything `tensor()` takes (a number becomes a scalar). */
export function toTensor(value: TensorLike, dtype?: DType): Tensor {
  if (value instanceof Tensor) return dtype && value.dtype !== dtype ? value.astype(dtype) : value;
  if (typeof value === 'number') return tensor([value], [], dtype);
  return tensor(value, undefined, dtype);
}
