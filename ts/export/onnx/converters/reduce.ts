// reduce over one axis or all (the global pooling layers reduce the flattened spatial axis).
// In opset 17 ReduceSum takes its axes as an input, ReduceMean and ReduceMax as an attribute.
import { ValueError } from '../../../errors.js';
import type { OpConverter } from '../op_conversion.js';

export const convertReduce: OpConverter<'reduce'> = (op) => {
  const { function: fn, axis, keep_dims: keepDims } = op.spec;
  const keepdims = keepDims ? 1 : 0;
  const axes = axis === null ? undefined : [axis];
  if (fn === 'sum') {
    return op.builder.add('ReduceSum', axes ? [op.input(0), op.builder.int64Initializer(`${op.layerName}/axes`, axes)] : [op.input(0)], { keepdims });
  }
  const opType = { mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin', prod: 'ReduceProd' }[fn];
  if (!opType) throw new ValueError(`Layer "${op.layerName}" cannot be exported to ONNX: unknown reduction '${fn}'`);
  return op.builder.add(opType, [op.input(0)], axes ? { axes, keepdims } : { keepdims });
};
