// Ops that move data without computing: reshape (Flatten, Reshape), concat, and the training-only
// ops (dropout and noise) that are identities at inference.
import type { OpConverter } from '../op_conversion.js';

/** Per-sample reshapes keep the batch axis: ONNX's 0 copies the input's size there. */
export const convertReshape: OpConverter = (op) => {
  const { shape, keep_batch: keepBatch } = op.node.spec as unknown as { shape: number[]; keep_batch: boolean };
  const target = op.builder.int64Initializer(`${op.layerName}/shape`, keepBatch ? [0, ...shape] : shape);
  return op.builder.add('Reshape', [op.input(0), target]);
};

export const convertConcat: OpConverter = (op) => op.builder.add('Concat', op.node.inputs.map((_, i) => op.input(i)), { axis: Number(op.node.spec.axis) });

/** Dropout and the noise layers act only while training; an exported model is for inference. */
export const convertTrainingOnly: OpConverter = (op) => op.builder.add('Identity', [op.input(0)]);
