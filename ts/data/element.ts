// What a Dataset yields: a tensor, or a tuple (array) of elements, as tf.data's nested structures.
import { ShapeError, ValueError } from '../errors.js';
import { Tensor, tensor, type DType, type TensorLike, type TypedArray } from '../tensor.js';

/** One item of a Dataset: a tensor or a tuple of items (`[x, y]`). */
export type Element = Tensor | Element[];

/**
 * What generators and `map` functions may return: tensors, typed arrays, numbers (scalars) or
 * flat arrays of numbers (1-D tensors) as leaves; any other array is a tuple.
 */
export type ElementLike = TensorLike | ElementLike[];

/** Turns a user's value into an Element; `where` names it in errors ("element 3 of fromGenerator"). */
export function toElement(value: ElementLike, where: string): Element {
  if (value instanceof Tensor) return value;
  if (typeof value === 'number') return tensor([value], []);
  if (ArrayBuffer.isView(value)) return tensor(value as TypedArray);
  if (Array.isArray(value)) {
    if (value.length === 0) throw new ValueError(`${where} is an empty array; expected a tensor or a tuple of tensors`);
    if (value.every((item) => typeof item === 'number')) return tensor(value as number[]);
    return value.map((item, i) => toElement(item as ElementLike, `${where}, component ${i}`));
  }
  // Text reaches a model with a string Input as arrays, which fit, evaluate and predict batch themselves.
  if (typeof value === 'string')
    throw new ValueError(
      `${where} is a string; a Dataset holds tensors only (expected a tensor, a typed array, a number or an array of them). Give text for a model's string Input to fit, evaluate or predict as arrays of strings instead`,
    );
  throw new ValueError(`${where} is ${value === null ? 'null' : typeof value}; expected a tensor, a typed array, a number or an array of them`);
}

/** The tensors of an element, depth first. */
export function leaves(element: Element): Tensor[] {
  return element instanceof Tensor ? [element] : element.flatMap(leaves);
}

/** Rebuilds an element of `template`'s structure from its leaves, in `leaves` order. */
export function withLeaves(template: Element, values: Tensor[]): Element {
  let next = 0;
  const rebuild = (node: Element): Element => (node instanceof Tensor ? values[next++] : node.map(rebuild));
  return rebuild(template);
}

/** The nesting of an element, as text: "T" for a tensor, "(T, T)" for a pair. */
export function structureOf(element: Element): string {
  return element instanceof Tensor ? 'T' : `(${element.map(structureOf).join(', ')})`;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** What `dataSync` gives for a dtype, to gather rows into. */
export function typedArrayFor(dtype: DType, length: number): TypedArray {
  if (dtype === 'int32') return new Int32Array(length);
  if (dtype === 'uint8') return new Uint8Array(length);
  return new Float32Array(length);
}

/**
 * Stacks same-shaped elements along a new first axis (what `batch` does). `firstIndex` is the
 * stream index of `elements[0]`, so a shape change is reported at the element where it happened;
 * `reference` (the stream's first element) holds the shapes every element must have.
 */
export function stackElements(elements: Element[], firstIndex: number, what: string, reference: Element = elements[0]): Element {
  const template = reference;
  const structure = structureOf(template);
  const columns = leaves(template).map(() => [] as Tensor[]);
  elements.forEach((element, i) => {
    if (structureOf(element) !== structure) {
      throw new ShapeError(`${what}: element ${firstIndex + i} has structure ${structureOf(element)}, but earlier elements had ${structure}`);
    }
    leaves(element).forEach((leaf, k) => columns[k].push(leaf));
  });
  const references = leaves(template);
  return withLeaves(
    template,
    columns.map((column, k) => stackTensors(column, references[k], firstIndex, `${what}${columns.length > 1 ? `, component ${k}` : ''}`)),
  );
}

function stackTensors(column: Tensor[], reference: Tensor, firstIndex: number, what: string): Tensor {
  const { shape, dtype } = reference;
  const size = reference.size;
  const out = typedArrayFor(dtype, size * column.length);
  column.forEach((t, i) => {
    if (t.rank !== shape.length || t.shape.some((d, axis) => d !== shape[axis])) {
      throw new ShapeError(`${what}: element ${firstIndex + i} has shape ${shapeText(t.shape)}, but earlier elements had ${shapeText(shape)}; elements of a batch must have the same shape`);
    }
    if (t.dtype !== dtype) {
      throw new ValueError(`${what}: element ${firstIndex + i} has dtype ${t.dtype}, but earlier elements had ${dtype}`);
    }
    out.set(t.dataSync(), i * size);
  });
  return tensor(out, [column.length, ...shape], dtype);
}

/** Row `index` of a tensor's host copy, without the first axis. */
export function rowOf(data: TypedArray, shape: readonly number[], dtype: DType, index: number): Tensor {
  const rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
  return tensor(data.slice(index * rowSize, (index + 1) * rowSize), shape.slice(1), dtype);
}
