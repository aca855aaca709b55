// Comparisons (1 where true, else 0, as float32: kiln's graphs are float32; no gradient),
// where, and clip.
import { ValueError } from '../errors.js';
import type { OpInput, OpResult, OpResult2 } from '../ops.js';
import { broadcastShapes, elementwise, maximum, minimum } from '../ops.js';
import { applyOp, where as context } from './recording.js';

/** 1 where a equals b, else 0 (float32, no gradient), with broadcasting. */
export const equal = <A extends OpInput, B extends OpInput>(a: A, b: B): OpResult2<A, B> => elementwise('equal', a, b);
/** 1 where a > b, else 0 (float32, no gradient), with broadcasting. */
export const greater = <A extends OpInput, B extends OpInput>(a: A, b: B): OpResult2<A, B> => elementwise('greater', a, b);
/** 1 where a ≥ b, else 0 (float32, no gradient), with broadcasting. */
export const greaterEqual = <A extends OpInput, B extends OpInput>(a: A, b: B): OpResult2<A, B> => elementwise('greater_equal', a, b);
/** 1 where a < b, else 0 (float32, no gradient), with broadcasting. */
export const less = <A extends OpInput, B extends OpInput>(a: A, b: B): OpResult2<A, B> => elementwise('less', a, b);
/** 1 where a ≤ b, else 0 (float32, no gradient), with broadcasting. */
export const lessEqual = <A extends OpInput, B extends OpInput>(a: A, b: B): OpResult2<A, B> => elementwise('less_equal', a, b);

/**
 * `x1` where `condition` is non-zero, else `x2`, all three broadcast together (Keras'
 * `ops.where`). The gradient reaches only the branch that was taken, so
 * `where(x > 0, log(x), 0)` stays finite.
 */
export function where<A extends OpInput>(condition: A, x1: OpInput, x2: OpInput): OpResult<A> {
  if (x1 === undefined || x2 === undefined) {
    throw new ValueError(`${context()}where: both x1 and x2 are needed (the one-argument form, which returns the indices of non-zero entries, is not supported)`);
  }
  return applyOp({ op: 'where' }, [condition, x1, x2], ([c, a, b]) => broadcastShapes(c, broadcastShapes(a, b))) as OpResult<A>;
}

/** Limits values to [xMin, xMax] (Keras' `ops.clip`); the gradient is 1 inside, 0 outside. */
export function clip<A extends OpInput>(x: A, xMin: number, xMax: number): OpResult<A> {
  if (typeof xMin !== 'number' || typeof xMax !== 'number' || Number.isNaN(xMin) || Number.isNaN(xMax)) {
    throw new ValueError(`${context()}clip: xMin and xMax must be numbers, got ${String(xMin)} and ${String(xMax)}`);
  }
  return minimum(maximum(x, xMin), xMax) as OpResult<A>;
}
