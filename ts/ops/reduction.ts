// Reductions over one axis, several axes or all of them (Keras' `axis` may be a number, a
// list or null), the positions of extremes, log-sum-exp, running sums and top-k. Several
// axes reduce one after another, from the last, in the engine's one-axis kernels.
import { formatValue } from '../utils/options.js';
import { ValueError } from '../errors.js';
import { callNative, native } from '../native.js';
import type { OpInput, OpResult } from '../ops.js';
import { add, exp, log, sub } from '../ops.js';
import type { Shape, SymbolicTensor } from '../symbolic.js';
import { Tensor } from '../tensor.js';
import { applyOp, concrete, describe, isSymbolic, record, shapeOf, symbolic, where } from './recording.js';
import { reshapeTo, squeeze } from './reshaping.js';

export type ReduceFunction = 'sum' | 'mean' | 'max' | 'min' | 'prod';
/** A reduction's axes: one, several, or all (null or undefined). */
export type Axes = number | number[] | null | undefined;

/** The distinct non-negative axes `axis` names, largest first; null for all. */
function resolveAxes(axis: Axes, rank: number, op: string): number[] | null {
  if (axis === undefined || axis === null) return null;
  const list = Array.isArray(axis) ? axis : [axis];
  const resolved = list.map((a) => {
    const r = typeof a === 'number' && a < 0 ? a + rank : a;
    if (!Number.isInteger(r) || r < 0 || r >= rank) throw new ValueError(`${where()}${op}: axis ${formatValue(a)} is out of range for a tensor of rank ${rank}`);
    return r;
  });
  if (new Set(resolved).size !== resolved.length) throw new ValueError(`${where()}${op}: duplicate axes in ${formatValue(axis)}`);
  return resolved.sort((a, b) => b - a);
}

/** One axis (or everything when `axis` is null), eager or recorded. */
function reduceOne(fn: ReduceFunction, x: OpInput, axis: number | null, keepDims: boolean): Tensor | SymbolicTensor {
  if (isSymbolic([x])) {
    const s = symbolic(x);
    const shape: Shape = axis === null ? (keepDims ? s.shape.map(() => 1) : []) : keepDims ? s.shape.map((d, i) => (i === axis ? 1 : d)) : s.shape.filter((_, i) => i !== axis);
    return record({ op: 'reduce', function: fn, axis, keep_dims: keepDims }, [s], shape);
  }
  const t = concrete(x);
  return new Tensor(callNative(() => native.reduce(fn, t.handle, axis ?? undefined, keepDims)));
}

/** @internal A reduction over `axis` (a number, a list, or null for all). */
export function reduceAxes<A extends OpInput>(fn: ReduceFunction, x: A, axis: Axes, keepDims: boolean): OpResult<A> {
  const rank = shapeOf(x).length;
  const axes = resolveAxes(axis, rank, fn);
  if (axes === null || axes.length === rank) {
    if (axes !== null && rank === 0) return x as OpResult<A>;
    return reduceOne(fn, x, null, keepDims) as OpResult<A>;
  }
  let y: OpInput = x;
  for (const a of axes) y = reduceOne(fn, y, a, keepDims);
  return y as OpResult<A>;
}

/** The sum over `axis` (a number, a list, or all axes when omitted or null); `keepDims` keeps reduced axes with size 1. Default false. */
export const sum = <A extends OpInput>(x: A, axis?: Axes, keepDims = false) => reduceAxes('sum', x, axis, keepDims);
/** The mean over `axis` (a number, a list, or all axes when omitted or null); `keepDims` keeps reduced axes with size 1. Default false. */
export const mean = <A extends OpInput>(x: A, axis?: Axes, keepDims = false) => reduceAxes('mean', x, axis, keepDims);
/** The maximum over `axis` (a number, a list, or all axes when omitted or null); `keepDims` keeps reduced axes with size 1. Default false. */
export const max = <A extends OpInput>(x: A, axis?: Axes, keepDims = false) => reduceAxes('max', x, axis, keepDims);
/** The minimum over `axis` (a number, a list, or all axes when omitted or null); `keepDims` keeps reduced axes with size 1. Default false. */
export const min = <A extends OpInput>(x: A, axis?: Axes, keepDims = false) => reduceAxes('min', x, axis, keepDims);
/** The product over `axis` (a number, a list, or all axes when omitted or null); `keepDims` keeps reduced axes with size 1. Default false. */
export const prod = <A extends OpInput>(x: A, axis?: Axes, keepDims = false) => reduceAxes('prod', x, axis, keepDims);

/**
 * log(sum(exp(x))) over `axis`, computed stably as max + log(sum(exp(x - max)))
 * (Keras' `ops.logsumexp`).
 */
export function logSumExp<A extends OpInput>(x: A, axis?: Axes, keepDims = false): OpResult<A> {
  const m = max(x, axis, true);
  const kept = add(log(sum(exp(sub(x, m)), axis, true)), m);
  if (keepDims) return kept as OpResult<A>;
  const rank = shapeOf(x).length;
  const axes = resolveAxes(axis, rank, 'logSumExp') ?? Array.from({ length: rank }, (_, i) => i);
  return (axes.length === 0 ? kept : squeeze(kept, axes)) as OpResult<A>;
}

function argReduce<A extends OpInput>(fn: 'max' | 'min', x: A, axis: number, keepDims: boolean): OpResult<A> {
  const rank = shapeOf(x).length;
  const name = fn === 'max' ? 'argMax' : 'argMin';
  // One axis: null (all axes) is refused here, as Keras' argmax flattens (not supported).
  if (axis === null || Array.isArray(axis)) throw new ValueError(`${where()}${name}: axis must be one integer, got ${formatValue(axis)}`);
  const a = resolveAxes(axis, rank, name)![0];
  const y = applyOp({ op: 'arg_reduce', function: fn, axis: a }, [x], ([s]) => s.filter((_, i) => i !== a));
  const kept = keepDims
    ? reshapeTo(
        y,
        Array.from({ length: rank }, (_, i) => (i === a ? 1 : { from: i < a ? i : i - 1 })),
      )
    : y;
  return (kept instanceof Tensor ? kept.astype('int32') : kept) as OpResult<A>;
}

/** Position of the largest value along `axis` (int32 when eager; in a graph, float32 positions with no gradient). */
export const argMax = <A extends OpInput>(x: A, axis = -1, keepDims = false) => argReduce('max', x, axis, keepDims);
/** Position of the smallest value along `axis`, as argMax. */
export const argMin = <A extends OpInput>(x: A, axis = -1, keepDims = false) => argReduce('min', x, axis, keepDims);

/** Running sum along `axis`; with no axis, over the flattened tensor (Keras' `ops.cumsum`). */
export function cumsum<A extends OpInput>(x: A, axis?: number | null): OpResult<A> {
  const input = axis === undefined || axis === null ? reshapeTo(x, [-1]) : x;
  const rank = shapeOf(input).length;
  const a = resolveAxes(axis ?? 0, rank, 'cumsum')![0];
  return applyOp({ op: 'cumsum', axis: a }, [input], ([s]) => s) as OpResult<A>;
}

/**
 * The `k` largest values of the last axis, largest first, and their positions (Keras'
 * `ops.top_k`, sorted). Gradients reach the chosen values; positions are int32 when eager.
 */
export function topK<A extends OpInput>(x: A, k: number, sorted = true): [OpResult<A>, OpResult<A>] {
  if (!sorted) throw new ValueError(`${where()}topK: only sorted=true is supported`);
  const s = shapeOf(x);
  const row = s[s.length - 1];
  if (!Number.isInteger(k) || k < 1 || s.length === 0 || (row !== null && k > row)) {
    throw new ValueError(`${where()}topK: k must be a positive integer at most the length of the last axis, got k=${formatValue(k)} for a tensor of shape ${describe(s)}`);
  }
  const out = (shape: Shape[]) => [...shape[0].slice(0, -1), k];
  const values = applyOp({ op: 'top_k', k, indices: false }, [x], out);
  const indices = applyOp({ op: 'top_k', k, indices: true }, [x], out);
  return [values, indices instanceof Tensor ? indices.astype('int32') : indices] as [OpResult<A>, OpResult<A>];
}
