// Ops that move data without computing: reshape (Flatten, Reshape), concat, and the training-only
// ops (dropout and noise) that are identities at inference.
import { ValueError } from '../../../errors.js';
import type { OpConverter } from '../op_conversion.js';

/**
 * Per-sample reshapes keep the batch axis: ONNX's 0 copies the input's size there. An axis
 * copied from the input (expand_dims, squeeze, einsum) becomes 0 when it keeps its position,
 * else its length when that is known.
 */
export const convertReshape: OpConverter<'reshape'> = (op) => {
  const { shape, keep_batch: keepBatch, copy_axes: copyAxes = [] } = op.spec;
  const resolved = [...shape];
  for (const [to, from] of copyAxes) {
    const length = op.node.inputs[0].shape[from];
    if (to === from) resolved[to] = 0;
    else if (length !== null) resolved[to] = length;
    else throw new ValueError(`Layer "${op.layerName}" cannot be exported to ONNX: a reshape moves the input's axis ${from}, whose length is unknown (null), to axis ${to}`);
  }
  const target = op.builder.int64Initializer(`${op.layerName}/shape`, keepBatch ? [0, ...resolved] : resolved);
  return op.builder.add('Reshape', [op.input(0), target]);
};

/** One axis's [begin, begin + size) (CenterCrop's, Resizing's and RandomCrop's centred windows). */
export const convertSlice: OpConverter<'slice'> = (op) => {
  const { axis, begin, size } = op.spec;
  const bound = (name: string, value: number) => op.builder.int64Initializer(`${op.layerName}/slice_${name}`, [value]);
  return op.builder.add('Slice', [op.input(0), bound('starts', begin), bound('ends', begin + size), bound('axes', axis)]);
};

export const convertConcat: OpConverter<'concat'> = (op) =>
  op.builder.add(
    'Concat',
    op.node.inputs.map((_, i) => op.input(i)),
    { axis: op.spec.axis },
  );

/**
 * Dropout, the noise and augmentation layers act only while training; an exported model is for
 * inference, where an augmentation with a second input (a crop's centred resize) passes that.
 */
export const convertTrainingOnly: OpConverter = (op) => op.builder.add('Identity', [op.input(op.node.inputs.length - 1)]);
