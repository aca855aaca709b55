// matmul: x [..., k] · w [k, n] (Dense's kernel product), as numpy's matmul.
import type { OpConverter } from '../op_conversion.js';
import { permutedInput } from './layout.js';

export const convertMatmul: OpConverter<'matmul'> = (op) => {
  const weight = op.spec.transpose_b ? permutedInput(op, 1, [1, 0], 'transposed') : op.input(1);
  return op.builder.add('MatMul', [op.input(0), weight]);
};

/** batch_matmul: [batch, m, k] · [batch, k, n] (the Dot layer), numpy's batched matmul. */
export const convertBatchMatmul: OpConverter = (op) => op.builder.add('MatMul', [op.input(0), op.input(1)]);
