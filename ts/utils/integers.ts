// One rule for the integers kiln takes (sizes, counts, shapes, indices): whole numbers, not
// negative unless said, at most 2^53 - 1 (above it JavaScript numbers skip integers), and a
// shape's element count exact. Checked here before anything crosses to native code, where
// the same rule is enforced again (crates/kiln-node/src/convert.rs).
import { ShapeError, ValueError } from '../errors.js';
import { describeValue } from './options.js';

export interface IntegerRange {
  /** Smallest allowed value (default 0). */
  min?: number;
  /** Largest allowed value (default 2^53 - 1). */
  max?: number;
}

/** Returns `value` if it is an integer in the range, else throws a ValueError naming `where` and `name`. */
export function checkInteger(where: string, name: string, value: unknown, { min = 0, max = Number.MAX_SAFE_INTEGER }: IntegerRange = {}): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a non-negative integer' : `an integer >= ${min}`) : `an integer in [${min}, ${max}]`;
    throw new ValueError(`${where}: \`${name}\` must be ${range}, got ${describeValue(value)}`);
  }
  return value;
}

export interface ShapeRule {
  /** One dimension may be -1, inferred from the size (reshape). */
  inferred?: boolean;
}

/** Returns `shape` if it is an array of dimensions by the integer rule whose product is exact; else a ValueError/ShapeError naming `where`. */
export function checkShape(where: string, shape: unknown, { inferred = false }: ShapeRule = {}): number[] {
  if (!Array.isArray(shape)) throw new ValueError(`${where}: the shape must be an array of non-negative integers, got ${describeValue(shape)}`);
  let size = 1;
  shape.forEach((d, i) => {
    if (inferred && d === -1) return;
    checkInteger(where, `shape[${i}]`, d);
    size *= d as number;
  });
  if (inferred && shape.filter((d) => d === -1).length > 1) throw new ShapeError(`${where}: only one dimension can be -1, got [${shape.join(', ')}]`);
  if (size > Number.MAX_SAFE_INTEGER) throw new ShapeError(`${where}: the shape [${shape.join(', ')}] has ${size} elements, more than 2^53 - 1`);
  return shape as number[];
}

/** Throws a ValueError unless every value is an integer index in [0, length) (or >= 0 when `length` is undefined). */
export function checkIndices(where: string, values: ArrayLike<number>, length?: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isSafeInteger(v) || v < 0 || (length !== undefined && v >= length)) {
      const range = length === undefined ? 'a non-negative integer' : `an integer in [0, ${length})`;
      throw new ValueError(`${where}: index ${v} at position ${i} is not ${range}`);
    }
  }
}
