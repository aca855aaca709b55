// The ONNX converter of each kiln graph op. Layers record these ops, so every layer built from
// them (custom layers included) exports.
import type { OpConverter } from '../op_conversion.js';
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

export const CONVERTERS: Record<string, OpConverter> = {
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
