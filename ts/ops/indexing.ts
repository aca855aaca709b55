// Picking entries: slice (a box of entries) and take/gather (entries at given positions along
// an axis), eager and in graphs.
import { formatValue } from '../utils/options.js';
import { ValueError } from '../errors.js';
import type { OpInput, OpResult } from '../ops.js';
import { sliceAxis, transpose } from '../ops.js';
import { SymbolicTensor } from '../symbolic.js';
import { toTensor, type TensorLike } from '../tensor.js';
import { Variable } from '../variable.js';
import { applyOp, concrete, describe, isSymbolic, shapeOf, where } from './recording.js';
import { reshapeTo, type TargetAxis } from './reshaping.js';

/**
 * The box of `shape[i]` entries from `startIndices[i]` on each axis (Keras' `ops.slice`); a
 * size of -1 takes the rest of the axis.
 */
export function slice<A extends OpInput>(x: A, startIndices: number[], shape: number[]): OpResult<A> {
  const s = shapeOf(x);
  if (!Array.isArray(startIndices) || !Array.isArray(shape) || startIndices.length !== s.length || shape.length !== s.length) {
    throw new ValueError(`${where()}slice: startIndices and shape need one entry per axis of ${describe(s)}, got ${formatValue(startIndices)} and ${formatValue(shape)}`);
  }
  if (!isSymbolic([x])) return concrete(x).slice(startIndices, shape) as OpResult<A>;
  let y: OpInput = x;
  s.forEach((length, i) => {
    const [begin, size] = [startIndices[i], shape[i]];
    if (begin === 0 && (size === -1 || size === length)) return;
    if (size === -1 && length === null) throw new ValueError(`${where()}slice: a size of -1 needs a known length, but axis ${i} of ${describe(s)} is unknown`);
    y = sliceAxis(y, i, begin, size === -1 ? (length as number) - begin : size) as OpInput;
  });
  return y as OpResult<A>;
}

/**
 * The entries of `x` at `indices` along `axis` (Keras' `ops.take`; default axis 0 here, as
 * kiln's gather): the result has the indices' shape in place of that axis. In a graph, ids
 * outside the axis give zeros (as Embedding); eager calls refuse them.
 */
export function take<A extends OpInput>(x: A, indices: OpInput, axis = 0): OpResult<A> {
  const s = shapeOf(x);
  const a = typeof axis === 'number' && axis < 0 ? axis + s.length : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= s.length) throw new ValueError(`${where()}take: axis ${formatValue(axis)} is out of range for a tensor of rank ${s.length}`);
  if (!isSymbolic([x, indices])) {
    const t = concrete(x);
    const moved = a === 0 ? t : t.transpose(moveToFront(s.length, a));
    const idx = toTensor(indices as TensorLike, 'int32');
    const picked = moved.gather(idx.reshape([-1]));
    const out = picked.reshape([...idx.shape, ...moved.shape.slice(1)]);
    return (a === 0 ? out : out.transpose(moveBack(idx.rank, s.length, a))) as OpResult<A>;
  }
  const table = a === 0 ? x : (transpose(x, moveToFront(s.length, a)) as OpInput);
  const ts = shapeOf(table);
  if (ts.slice(1).some((d) => d === null)) throw new ValueError(`${where()}take: in a graph, every axis of ${describe(s)} but the one indexed must have a known length`);
  const width = (ts.slice(1) as number[]).reduce((p, d) => p * d, 1);
  const rows = reshapeTo(table, [-1, width]);
  const ids = indices instanceof SymbolicTensor || indices instanceof Variable ? indices : toTensor(indices as TensorLike, 'float32');
  const is = shapeOf(ids);
  const picked = applyOp({ op: 'embedding' }, [ids, rows], () => [...is, width]);
  const target: TargetAxis[] = [...is.map((_, i) => ({ from: i })), ...(ts.slice(1) as number[])];
  const out = reshapeTo(picked, target);
  return (a === 0 ? out : transpose(out, moveBack(is.length, s.length, a))) as OpResult<A>;
}

/** Rows (axis 0) of `x` at `indices`, as Tensor.gather; in graphs too. */
export function gather<A extends OpInput>(x: A, indices: OpInput): OpResult<A> {
  return take(x, indices, 0);
}

/** The permutation bringing `axis` to the front. */
function moveToFront(rank: number, axis: number): number[] {
  return [axis, ...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis)];
}

/** After `take` on a moved axis: the index axes go back where the axis was. */
function moveBack(indexRank: number, rank: number, axis: number): number[] {
  const rest = rank - 1;
  const idx = Array.from({ length: indexRank }, (_, i) => i);
  const others = Array.from({ length: rest }, (_, i) => indexRank + i);
  return [...others.slice(0, axis), ...idx, ...others.slice(axis)];
}
