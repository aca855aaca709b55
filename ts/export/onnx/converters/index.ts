// The ONNX converter of each kiln graph op. Layers record these ops, so every layer built from
// them (custom layers included) exports.
import type { OpSpec } from '../../../symbolic.js';
import type { OpConversion, OpKind } from '../op_conversion.js';
import { convertConvTranspose } from './conv_transpose.js';
import { convertConv } from './convolution.js';
import { convertBinary, convertSoftmax, convertUnary } from './elementwise.js';
import { convertEmbedding } from './embedding.js';
import { convertBatchMatmul, convertMatmul } from './matmul.js';
import { convertBatchNorm } from './normalization.js';
import { convertPool2d } from './pooling.js';
import { convertRnn } from './recurrent.js';
import { convertReduce } from './reduce.js';
import { convertPad, convertRepeat, convertResizeLinear, convertTranspose } from './resampling.js';
import { convertConcat, convertReshape, convertSlice, convertTrainingOnly } from './shape.js';

// Each op's converter reads that op's settings (a converter may serve several ops).
export const CONVERTERS: { [K in OpKind]?: (op: OpConversion<Extract<OpSpec, { op: K }>>) => string } = {
  unary: convertUnary,
  binary: convertBinary,
  softmax: convertSoftmax,
  matmul: convertMatmul,
  batch_matmul: convertBatchMatmul,
  reduce: convertReduce,
  reshape: convertReshape,
  concat: convertConcat,
  slice: convertSlice,
  dropout: convertTrainingOnly,
  gaussian_noise: convertTrainingOnly,
  gaussian_dropout: convertTrainingOnly,
  augment: convertTrainingOnly,
  transpose: convertTranspose,
  pad: convertPad,
  repeat: convertRepeat,
  resize_linear: convertResizeLinear,
  conv2d: convertConv,
  conv2d_transpose: convertConvTranspose,
  conv3d: convertConv,
  conv3d_transpose: convertConvTranspose,
  pool2d: convertPool2d,
  batch_norm: convertBatchNorm,
  embedding: convertEmbedding,
  rnn: convertRnn,
};
