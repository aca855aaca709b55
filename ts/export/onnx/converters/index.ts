// The ONNX converter of each kiln graph op. Layers record these ops, so every layer built from
// them (custom layers included) exports.
import type { OpConverter } from '../op_conversion.js';
import { convertConv2d } from './convolution.js';
import { convertBinary, convertSoftmax, convertUnary } from './elementwise.js';
import { convertEmbedding } from './embedding.js';
import { convertMatmul } from './matmul.js';
import { convertBatchNorm } from './normalization.js';
import { convertPool2d } from './pooling.js';
import { convertRnn } from './recurrent.js';
import { convertReduce } from './reduce.js';
import { convertConcat, convertDropout, convertReshape } from './shape.js';

export const CONVERTERS: Record<string, OpConverter> = {
  unary: convertUnary,
  binary: convertBinary,
  softmax: convertSoftmax,
  matmul: convertMatmul,
  reduce: convertReduce,
  reshape: convertReshape,
  concat: convertConcat,
  dropout: convertDropout,
  conv2d: convertConv2d,
  pool2d: convertPool2d,
  batch_norm: convertBatchNorm,
  embedding: convertEmbedding,
  rnn: convertRnn,
};
