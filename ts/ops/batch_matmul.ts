// Batched matrix product (the core of Keras' batch_dot and the Dot layer).
import { ShapeError } from '../errors.js';
import type { OpInput, OpResult2 } from '../ops.js';
import { applyOp, describe, where } from './recording.js';

/** a [batch, m, k] · b [batch, k, n] -> [batch, m, n], one matrix product per sample. */
export function batchMatmul<A extends OpInput, B extends OpInput>(a: A, b: B): OpResult2<A, B> {
  return applyOp({ op: 'batch_matmul' }, [a, b], ([x, y]) => {
    const differ = (p: number | null, q: number | null) => p !== null && q !== null && p !== q;
    if (x.length !== 3 || y.length !== 3 || differ(x[0], y[0]) || differ(x[2], y[1])) {
      throw new ShapeError(`${where()}a batched matrix product needs [batch, m, k] and [batch, k, n], got ${describe(x)} and ${describe(y)}`);
    }
    return [x[0] ?? y[0], x[1], y[2]];
  }) as OpResult2<A, B>;
}
