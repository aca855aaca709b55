// Batched matrix product (the core of Keras' batch_dot, the Dot layer and matmul of stacks).
import { ShapeError } from '../errors.js';
import type { OpInput, OpResult2 } from '../ops.js';
import { applyOp, describe, where } from './recording.js';

/** a [..batch, m, k] · b [..batch, k, n] -> [..batch, m, n], one matrix product per batch entry. */
export function batchMatmul<A extends OpInput, B extends OpInput>(a: A, b: B): OpResult2<A, B> {
  return applyOp({ op: 'batch_matmul' }, [a, b], ([x, y]) => {
    const differ = (p: number | null, q: number | null) => p !== null && q !== null && p !== q;
    const r = x.length;
    if (r < 3 || y.length !== r || x.slice(0, -2).some((d, i) => differ(d, y[i])) || differ(x[r - 1], y[r - 2])) {
      throw new ShapeError(`${where()}a batched matrix product needs [..batch, m, k] and [..batch, k, n] with the same batch axes, got ${describe(x)} and ${describe(y)}`);
    }
    return [...x.slice(0, -2).map((d, i) => d ?? y[i]), x[r - 2], y[r - 1]];
  }) as OpResult2<A, B>;
}
