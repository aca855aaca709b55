// Matrix products with numpy's rules (Keras' `ops.matmul`): vectors, matrices, and stacks of
// matrices whose leading (batch) axes broadcast. A product with a matrix runs as one GEMM over
// all rows; stacks run as a batched product.
import { ShapeError } from '../errors.js';
import { callNative, native } from '../native.js';
import type { OpInput, OpResult2 } from '../ops.js';
import { transpose } from '../ops.js';
import { Tensor } from '../tensor.js';
import { batchMatmul } from './batch_matmul.js';
import { concrete, describe, isSymbolic, record, shapeOf, symbolic, where } from './recording.js';
import { expandDims, squeeze, tile } from './reshaping.js';

/** [..., k] · [k, n] -> [..., n]: one GEMM over all rows. */
function matrixProduct(a: OpInput, b: OpInput): OpInput {
  if (isSymbolic([a, b])) {
    const [x, w] = [symbolic(a), symbolic(b)];
    return record({ op: 'matmul', transpose_b: false }, [x, w], [...x.shape.slice(0, -1), w.shape[1]]);
  }
  const [x, w] = [concrete(a), concrete(b)];
  return new Tensor(callNative(() => native.matmul(x.handle, w.handle)));
}

/** Swaps the last two axes. */
function swapLast(x: OpInput): OpInput {
  const r = shapeOf(x).length;
  return transpose(
    x,
    Array.from({ length: r }, (_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i)),
  ) as OpInput;
}

/**
 * The matrix product of `a` and `b` (numpy's matmul): a vector operand gains and then loses an
 * axis of 1; operands of rank 3 or more are stacks of matrices whose leading axes broadcast.
 */
export function matmul<A extends OpInput, B extends OpInput>(a: A, b: B): OpResult2<A, B> {
  const [sa, sb] = [shapeOf(a), shapeOf(b)];
  const k = [sa[sa.length - 1], sb.length === 1 ? sb[0] : sb[sb.length - 2]];
  if (sa.length === 0 || sb.length === 0 || (k[0] !== null && k[1] !== null && k[0] !== k[1])) {
    throw new ShapeError(
      `${where()}matmul cannot multiply shapes ${describe(sa)} and ${describe(sb)}: the last axis of the first (${k[0]}) must equal the ${sb.length === 1 ? 'length' : 'second-to-last axis'} of the second (${k[1]})`,
    );
  }
  if (sb.length === 1) return squeeze(matmul(a, expandDims(b, -1)) as OpInput, -1) as OpResult2<A, B>;
  if (sa.length === 1) return squeeze(matmul(expandDims(a, 0), b) as OpInput, -2) as OpResult2<A, B>;
  if (sb.length === 2) return matrixProduct(a, b) as OpResult2<A, B>;
  // a [m, k] · b [..., k, n] = (bᵀ [..., n, k] · aᵀ [k, m])ᵀ.
  if (sa.length === 2) return swapLast(matrixProduct(swapLast(b), transpose(a))) as OpResult2<A, B>;
  let [x, y]: OpInput[] = [a, b];
  while (shapeOf(x).length < shapeOf(y).length) x = expandDims(x, 0);
  while (shapeOf(y).length < shapeOf(x).length) y = expandDims(y, 0);
  const [lx, ly] = [shapeOf(x).slice(0, -2), shapeOf(y).slice(0, -2)];
  const [rx, ry] = [lx.map(() => 1), ly.map(() => 1)];
  lx.forEach((dx, i) => {
    const dy = ly[i];
    if (dx === dy || (dx !== 1 && dy !== 1 && (dx === null || dy === null))) return;
    if (dx === 1 && dy !== null) rx[i] = dy;
    else if (dy === 1 && dx !== null) ry[i] = dx;
    else throw new ShapeError(`${where()}matmul cannot broadcast the batch axes of ${describe(sa)} and ${describe(sb)}`);
  });
  return batchMatmul(tile(x, [...rx, 1, 1]), tile(y, [...ry, 1, 1])) as OpResult2<A, B>;
}
