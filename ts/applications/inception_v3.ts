// keras.applications.inception_v3: InceptionV3 (Szegedy et al., 2016): eleven Inception modules
// ('mixed0' to 'mixed10') of parallel convolution branches, concatenated.
import { Activation } from '../layers/activations/activation.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { Concatenate } from '../layers/merging/concatenate.js';
import { BatchNormalization } from '../layers/normalization/batch_normalization.js';
import { AveragePooling2D } from '../layers/pooling/average_pooling2d.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { MaxPooling2D } from '../layers/pooling/max_pooling2d.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, predictionsLayer, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

/** Keras' `conv2d_bn`: convolution without bias, normalisation without scale, ReLU (unnamed, as in Keras). */
function conv2dBn(x: SymbolicTensor, filters: number, rows: number, cols: number, padding: 'same' | 'valid' = 'same', strides = 1): SymbolicTensor {
  x = call(new Conv2D({ filters, kernelSize: [rows, cols], strides: [strides, strides], padding, useBias: false }), x);
  x = call(new BatchNormalization({ axis: 3, scale: false }), x);
  return call(new Activation('relu'), x);
}

const concat = (branches: SymbolicTensor[], name?: string) => call(new Concatenate(name === undefined ? { axis: 3 } : { axis: 3, name }), branches);
const averagePoolSame = (x: SymbolicTensor) => call(new AveragePooling2D({ poolSize: [3, 3], strides: [1, 1], padding: 'same' }), x);
const maxPool = (x: SymbolicTensor) => call(new MaxPooling2D({ poolSize: [3, 3], strides: [2, 2] }), x);

/** mixed0-2: 1x1, 5x5, double 3x3 and pooled branches. */
function module35(x: SymbolicTensor, poolFilters: number, name: string): SymbolicTensor {
  const branch1x1 = conv2dBn(x, 64, 1, 1);
  let branch5x5 = conv2dBn(x, 48, 1, 1);
  branch5x5 = conv2dBn(branch5x5, 64, 5, 5);
  let branch3x3dbl = conv2dBn(x, 64, 1, 1);
  branch3x3dbl = conv2dBn(branch3x3dbl, 96, 3, 3);
  branch3x3dbl = conv2dBn(branch3x3dbl, 96, 3, 3);
  const branchPool = conv2dBn(averagePoolSame(x), poolFilters, 1, 1);
  return concat([branch1x1, branch5x5, branch3x3dbl, branchPool], name);
}

/** mixed4-7: factorised 7x7 branches of `width` channels. */
function module17(x: SymbolicTensor, width: number, name: string): SymbolicTensor {
  const branch1x1 = conv2dBn(x, 192, 1, 1);
  let branch7x7 = conv2dBn(x, width, 1, 1);
  branch7x7 = conv2dBn(branch7x7, width, 1, 7);
  branch7x7 = conv2dBn(branch7x7, 192, 7, 1);
  let branch7x7dbl = conv2dBn(x, width, 1, 1);
  branch7x7dbl = conv2dBn(branch7x7dbl, width, 7, 1);
  branch7x7dbl = conv2dBn(branch7x7dbl, width, 1, 7);
  branch7x7dbl = conv2dBn(branch7x7dbl, width, 7, 1);
  branch7x7dbl = conv2dBn(branch7x7dbl, 192, 1, 7);
  const branchPool = conv2dBn(averagePoolSame(x), 192, 1, 1);
  return concat([branch1x1, branch7x7, branch7x7dbl, branchPool], name);
}

/** mixed9 and mixed10: expanded 3x3 branches. */
function module8(x: SymbolicTensor, i: number): SymbolicTensor {
  const branch1x1 = conv2dBn(x, 320, 1, 1);
  let branch3x3 = conv2dBn(x, 384, 1, 1);
  branch3x3 = concat([conv2dBn(branch3x3, 384, 1, 3), conv2dBn(branch3x3, 384, 3, 1)], `mixed9_${i}`);
  let branch3x3dbl = conv2dBn(x, 448, 1, 1);
  branch3x3dbl = conv2dBn(branch3x3dbl, 384, 3, 3);
  branch3x3dbl = concat([conv2dBn(branch3x3dbl, 384, 1, 3), conv2dBn(branch3x3dbl, 384, 3, 1)]);
  const branchPool = conv2dBn(averagePoolSame(x), 192, 1, 1);
  return concat([branch1x1, branch3x3, branch3x3dbl, branchPool], `mixed${9 + i}`);
}

/** Keras' `InceptionV3` (299x299 by default, at least 75x75). */
export async function InceptionV3(options?: ApplicationArgs): Promise<Model> {
  const builder = 'InceptionV3';
  const args = resolveApplicationArgs(builder, options);
  const input = imageInput(obtainInputShape(builder, args, 299, 75));
  let x = conv2dBn(input, 32, 3, 3, 'valid', 2);
  x = conv2dBn(x, 32, 3, 3, 'valid');
  x = conv2dBn(x, 64, 3, 3);
  x = maxPool(x);
  x = conv2dBn(x, 80, 1, 1, 'valid');
  x = conv2dBn(x, 192, 3, 3, 'valid');
  x = maxPool(x);
  x = module35(x, 32, 'mixed0');
  x = module35(x, 64, 'mixed1');
  x = module35(x, 64, 'mixed2');
  {
    const branch3x3 = conv2dBn(x, 384, 3, 3, 'valid', 2);
    let branch3x3dbl = conv2dBn(x, 64, 1, 1);
    branch3x3dbl = conv2dBn(branch3x3dbl, 96, 3, 3);
    branch3x3dbl = conv2dBn(branch3x3dbl, 96, 3, 3, 'valid', 2);
    x = concat([branch3x3, branch3x3dbl, maxPool(x)], 'mixed3');
  }
  x = module17(x, 128, 'mixed4');
  x = module17(x, 160, 'mixed5');
  x = module17(x, 160, 'mixed6');
  x = module17(x, 192, 'mixed7');
  {
    let branch3x3 = conv2dBn(x, 192, 1, 1);
    branch3x3 = conv2dBn(branch3x3, 320, 3, 3, 'valid', 2);
    let branch7x7x3 = conv2dBn(x, 192, 1, 1);
    branch7x7x3 = conv2dBn(branch7x7x3, 192, 1, 7);
    branch7x7x3 = conv2dBn(branch7x7x3, 192, 7, 1);
    branch7x7x3 = conv2dBn(branch7x7x3, 192, 3, 3, 'valid', 2);
    x = concat([branch3x3, branch7x7x3, maxPool(x)], 'mixed8');
  }
  x = module8(x, 0);
  x = module8(x, 1);
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ name: 'avg_pool' }), x);
    x = predictionsLayer(x, args);
  } else {
    x = poolingTop(x, args.pooling);
  }
  return finishApplication(builder, input, x, args.name ?? 'inception_v3', args, () => {
    const name = `inception_v3_weights_tf_dim_ordering_tf_kernels${args.includeTop ? '' : '_notop'}.h5`;
    return { name, url: `${KERAS_APPLICATIONS_URL}inception_v3/${name}`, hash: args.includeTop ? '9a0d58056eeedaa3f26cb7ebd46da564' : 'bcbd6486424b2319ff4ef7d526e38f63' };
  });
}

/** InceptionV3's inputs: 'tf' (pixels scaled to [-1, 1]). */
export const preprocessInput = preprocessingFor('tf');
export { decodePredictions };
