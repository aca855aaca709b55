// embedding: rows of the table picked by ids. Model inputs are float32, so ids are cast first.
import { OnnxDataType } from '../onnx_proto.js';
import type { OpConverter } from '../op_conversion.js';

export const convertEmbedding: OpConverter = (op) => {
  const ids = op.builder.add('Cast', [op.input(0)], { to: OnnxDataType.INT64 });
  return op.builder.add('Gather', [op.input(1), ids], { axis: 0 });
};
