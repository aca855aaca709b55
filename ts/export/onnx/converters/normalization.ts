// batch_norm at inference: ONNX's BatchNormalization with the moving statistics, over the
// channel axis (the last in Keras, the second in ONNX).
import { float } from '../graph_builder.js';
import type { OpConverter } from '../op_conversion.js';
import { inChannelsFirst } from './layout.js';

export const convertBatchNorm: OpConverter<'batch_norm'> = (op) => {
  const { epsilon } = op.spec;
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => op.input(i));
  const normalize = (x: string) => op.builder.add('BatchNormalization', [x, gamma, beta, mean, variance], { epsilon: float(epsilon) });
  const rank = op.node.shape.length;
  return rank === 2 ? normalize(op.input(0)) : inChannelsFirst(op.builder, op.input(0), rank, normalize);
};
