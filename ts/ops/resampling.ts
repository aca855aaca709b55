// Ops that move values without arithmetic on them (or with fixed interpolation weights):
// axis permutation, zero padding and cropping, repetition, linear resizing. They share one
// native kernel family (kernels/resample.rs, kernels/permute.rs).
import { formatValue } from '../utils/options.js';
import { ShapeError, ValueError } from '../errors.js';
import type { OpInput, OpResult } from '../ops.js';
import { applyOp, describe, shapeOf, where } from './recording.js';

function normalizeAxis(axis: number, rank: number, what: string): number {
  const a = typeof axis === 'number' && axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) throw new ValueError(`${where()}${what}: axis ${formatValue(axis)} is out of range for a tensor of rank ${rank}`);
  return a;
}

/** @internal Permutes the axes (batch axis included): output axis i is input axis perm[i]; default reverses them. */
export function permuteAxes<A extends OpInput>(x: A, perm?: number[]): OpResult<A> {
  const rank = shapeOf(x).length;
  const order = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  return applyOp({ op: 'transpose', perm: order }, [x], ([shape]) => {
    const sorted = [...order].sort((a, b) => a - b);
    if (order.length !== shape.length || sorted.some((a, i) => a !== i)) {
      throw new ValueError(`${where()}transpose: perm ${formatValue(perm)} is not a permutation of the ${shape.length} axes of ${describe(shape)}`);
    }
    return order.map((a) => shape[a]);
  }) as OpResult<A>;
}

/**
 * @internal Adds `[before, after]` zeros on each axis (one pair per axis); negative amounts crop
 * (Cropping layers).
 */
export function padOrCrop<A extends OpInput>(x: A, paddings: [number, number][]): OpResult<A> {
  return applyOp({ op: 'pad', paddings }, [x], ([shape]) => {
    if (paddings.length !== shape.length || paddings.some((p) => !Array.isArray(p) || p.length !== 2 || !p.every(Number.isInteger))) {
      throw new ValueError(`${where()}padding needs one [before, after] pair of integers per axis of ${describe(shape)}, got ${formatValue(paddings)}`);
    }
    return shape.map((d, i) => {
      if (d === null) return null;
      const size = d + paddings[i][0] + paddings[i][1];
      if (size <= 0) throw new ShapeError(`${where()}cropping [${paddings[i].map((p) => -p)}] from axis ${i} of length ${d} leaves nothing (input shape ${describe(shape)})`);
      return size;
    });
  }) as OpResult<A>;
}

/** Pads with zeros: `padWidth` has one `[before, after]` pair per axis (Keras' ops.pad, mode 'constant'). */
export function pad<A extends OpInput>(x: A, padWidth: [number, number][]): OpResult<A> {
  if (!Array.isArray(padWidth) || padWidth.some((p) => !Array.isArray(p) || p.some((v) => !Number.isInteger(v) || v < 0))) {
    throw new ValueError(`${where()}pad: padWidth must be [before, after] pairs of non-negative integers, got ${formatValue(padWidth)}`);
  }
  return padOrCrop(x, padWidth);
}

/** @internal Repeats each index of axis a `repeats[a]` times in a row, for every axis at once. */
export function repeatAxes<A extends OpInput>(x: A, repeats: number[]): OpResult<A> {
  return applyOp({ op: 'repeat', repeats }, [x], ([shape]) => {
    if (repeats.length !== shape.length || repeats.some((r) => !Number.isInteger(r) || r <= 0)) {
      throw new ValueError(`${where()}repeat: needs a positive integer count per axis of ${describe(shape)}, got ${formatValue(repeats)}`);
    }
    return shape.map((d, i) => (d === null ? null : d * repeats[i]));
  }) as OpResult<A>;
}

/** Repeats each element `repeats` times along `axis` (numpy's and Keras' repeat). */
export function repeat<A extends OpInput>(x: A, repeats: number, axis: number): OpResult<A> {
  if (!Number.isInteger(repeats) || repeats <= 0) throw new ValueError(`${where()}repeat: repeats must be a positive integer, got ${formatValue(repeats)}`);
  const rank = shapeOf(x).length;
  const a = normalizeAxis(axis, rank, 'repeat');
  return repeatAxes(
    x,
    Array.from({ length: rank }, (_, i) => (i === a ? repeats : 1)),
  );
}

/**
 * @internal Enlarges axis a `factors[a]` times by linear interpolation with half-pixel
 * centres, edges clamped (bilinear upsampling, as jax.image.resize).
 */
export function resizeLinear<A extends OpInput>(x: A, factors: number[]): OpResult<A> {
  return applyOp({ op: 'resize_linear', factors }, [x], ([shape]) => {
    if (factors.length !== shape.length || factors.some((f) => !Number.isInteger(f) || f <= 0)) {
      throw new ValueError(`${where()}resize: needs a positive integer factor per axis of ${describe(shape)}, got ${formatValue(factors)}`);
    }
    return shape.map((d, i) => (d === null ? null : d * factors[i]));
  }) as OpResult<A>;
}
