// Ops that change how values are laid out without arithmetic: expand_dims, squeeze, stack,
// tile, and the shape of a (possibly symbolic) tensor. Unknown lengths (null) are copied from
// the input when the engine plans each batch, so they work on variable-length inputs.
import { formatValue } from '../utils/options.js';
import { ShapeError, ValueError } from '../errors.js';
import type { OpInput, OpResult } from '../ops.js';
import { concat } from '../ops.js';
import type { Shape } from '../symbolic.js';
import { applyOp, describe, shapeOf, where } from './recording.js';

/** One axis of a reshape target: a length, or the input axis whose length it takes. */
export type TargetAxis = number | { from: number };

/** @internal Reshapes to `target`, whose entries may copy input axes (lengths unknown until run). */
export function reshapeTo<A extends OpInput>(x: A, target: TargetAxis[]): OpResult<A> {
  const shape = target.map((d) => (typeof d === 'number' ? d : 1));
  const copyAxes = target.flatMap((d, i): [number, number][] => (typeof d === 'number' ? [] : [[i, d.from]]));
  return applyOp({ op: 'reshape', shape, keep_batch: false, copy_axes: copyAxes }, [x], ([s]) => {
    const out: Shape = target.map((d) => (typeof d === 'number' ? (d === -1 ? null : d) : s[d.from]));
    if (out.every((d) => d !== null) && s.every((d) => d !== null)) {
      const size = (s as number[]).reduce((a, b) => a * b, 1);
      if ((out as number[]).reduce((a, b) => a * b, 1) !== size) throw new ShapeError(`${where()}cannot reshape ${describe(s)} to ${describe(out)}`);
    }
    if (target.includes(-1)) {
      const known = s.every((d) => d !== null) ? (s as number[]).reduce((a, b) => a * b, 1) : null;
      const rest = out.reduce<number>((a, d) => (d === null ? a : a * d), 1);
      const inferred = target.indexOf(-1);
      if (known !== null && target.filter((d) => d === -1).length === 1 && out.filter((d, i) => d === null && i !== inferred).length === 0) out[inferred] = known / rest;
    }
    return out;
  }) as OpResult<A>;
}

function normalizeAxis(axis: number, rank: number, op: string): number {
  // Checked before any arithmetic: a symbol or bigint threw a raw TypeError there.
  if (!Number.isInteger(axis)) throw new ValueError(`${where()}${op}: axis must be an integer, got ${formatValue(axis)}`);
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ValueError(`${where()}${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}

/** The shape of `x`; a symbolic tensor's unknown axes (its batch axis) are null, as Keras' `ops.shape` gives None. */
export function shape(x: OpInput): Shape {
  return [...shapeOf(x)];
}

/** Inserts an axis of length 1 at `axis` (Keras' `ops.expand_dims`; negative axes count from the end of the result). */
export function expandDims<A extends OpInput>(x: A, axis: number): OpResult<A> {
  const rank = shapeOf(x).length;
  const a = normalizeAxis(axis, rank + 1, 'expandDims');
  const target: TargetAxis[] = Array.from({ length: rank }, (_, i) => ({ from: i }));
  target.splice(a, 0, 1);
  return reshapeTo(x, target);
}

/**
 * Removes axes of length 1: `axis` (a number or a list), or every axis known to be 1 when
 * omitted (Keras' `ops.squeeze`).
 */
export function squeeze<A extends OpInput>(x: A, axis?: number | number[] | null): OpResult<A> {
  const s = shapeOf(x);
  const axes = axis === undefined || axis === null ? s.flatMap((d, i) => (d === 1 ? [i] : [])) : (Array.isArray(axis) ? axis : [axis]).map((a) => normalizeAxis(a, s.length, 'squeeze'));
  for (const a of axes) {
    if (s[a] !== 1) throw new ValueError(`${where()}squeeze: cannot select an axis to squeeze out which has size not equal to one: axis ${a} of ${describe(s)} has length ${s[a] ?? 'null (unknown)'}`);
  }
  const target: TargetAxis[] = s.flatMap((_, i) => (axes.includes(i) ? [] : [{ from: i }]));
  return reshapeTo(x, target);
}

/** Joins tensors of one shape along a new axis (Keras' `ops.stack`; default axis 0). */
export function stack<A extends OpInput>(tensors: A[], axis = 0): OpResult<A> {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError(`${where()}stack needs a non-empty list of tensors, got ${Array.isArray(tensors) ? '[]' : typeof tensors}`);
  const first = shapeOf(tensors[0]);
  tensors.forEach((t, i) => {
    const s = shapeOf(t);
    if (s.length !== first.length || s.some((d, k) => d !== null && first[k] !== null && d !== first[k])) {
      throw new ShapeError(`${where()}stack needs tensors of one shape: tensor 0 has ${describe(first)}, tensor ${i} has ${describe(s)}`);
    }
  });
  const a = normalizeAxis(axis, first.length + 1, 'stack');
  return concat(tensors.map((t) => expandDims(t, a)) as A[], a) as OpResult<A>;
}

/**
 * Repeats the whole tensor `repeats[i]` times along axis i (numpy's and Keras' `ops.tile`); a
 * shorter `repeats` applies to the last axes, a longer one adds leading axes.
 */
export function tile<A extends OpInput>(x: A, repeats: number | number[]): OpResult<A> {
  const list = Array.isArray(repeats) ? repeats : [repeats];
  if (list.some((r) => !Number.isInteger(r) || r < 0)) throw new ValueError(`${where()}tile: repeats must be non-negative integers, got ${formatValue(repeats)}`);
  let input: OpInput = x;
  while (shapeOf(input).length < list.length) input = expandDims(input, 0);
  const rank = shapeOf(input).length;
  const full = [...new Array(rank - list.length).fill(1), ...list];
  if (full.every((r) => r === 1)) return input as OpResult<A>;
  return applyOp({ op: 'tile', repeats: full }, [input], ([s]) => s.map((d, i) => (d === null ? null : d * full[i]))) as OpResult<A>;
}
