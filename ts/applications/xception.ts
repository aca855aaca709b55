// keras.applications.xception: Xception (Chollet, 2017): separable convolutions in an entry,
// middle (8 repeated residual blocks) and exit flow.
import { Activation } from '../layers/activations/activation.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { SeparableConv2D } from '../layers/convolutional/separable_conv2d.js';
import { Add } from '../layers/merging/add.js';
import { BatchNormalization } from '../layers/normalization/batch_normalization.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { MaxPooling2D } from '../layers/pooling/max_pooling2d.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, predictionsLayer, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

const batchNorm = (name?: string) => new BatchNormalization(name === undefined ? { axis: -1 } : { axis: -1, name });
const relu = (name: string) => new Activation('relu', { name });
const separable = (filters: number, name: string) => new SeparableConv2D({ filters, kernelSize: [3, 3], padding: 'same', useBias: false, name });

/** A strided 1x1 projection of `x` (Keras leaves these layers unnamed). */
function residualProjection(x: SymbolicTensor, filters: number): SymbolicTensor {
  const residual = call(new Conv2D({ filters, kernelSize: [1, 1], strides: [2, 2], padding: 'same', useBias: false }), x);
  return call(batchNorm(), residual);
}

/** Entry and exit blocks: two separable convolutions, max pooling, added to the projection. */
function downsamplingBlock(x: SymbolicTensor, block: number, filters: [number, number], activateFirst: boolean): SymbolicTensor {
  const residual = residualProjection(x, filters[1]);
  const prefix = `block${block}`;
  if (activateFirst) x = call(relu(`${prefix}_sepconv1_act`), x);
  x = call(separable(filters[0], `${prefix}_sepconv1`), x);
  x = call(batchNorm(`${prefix}_sepconv1_bn`), x);
  x = call(relu(`${prefix}_sepconv2_act`), x);
  x = call(separable(filters[1], `${prefix}_sepconv2`), x);
  x = call(batchNorm(`${prefix}_sepconv2_bn`), x);
  x = call(new MaxPooling2D({ poolSize: [3, 3], strides: [2, 2], padding: 'same', name: `${prefix}_pool` }), x);
  return call(new Add(), [x, residual]);
}

/** Keras' `Xception` (299x299 by default, at least 71x71). */
export async function Xception(options?: ApplicationArgs): Promise<Model> {
  const builder = 'Xception';
  const args = resolveApplicationArgs(builder, options);
  const input = imageInput(obtainInputShape(builder, args, 299, 71));
  let x = call(new Conv2D({ filters: 32, kernelSize: [3, 3], strides: [2, 2], useBias: false, name: 'block1_conv1' }), input);
  x = call(batchNorm('block1_conv1_bn'), x);
  x = call(relu('block1_conv1_act'), x);
  x = call(new Conv2D({ filters: 64, kernelSize: [3, 3], useBias: false, name: 'block1_conv2' }), x);
  x = call(batchNorm('block1_conv2_bn'), x);
  x = call(relu('block1_conv2_act'), x);
  x = downsamplingBlock(x, 2, [128, 128], false);
  x = downsamplingBlock(x, 3, [256, 256], true);
  x = downsamplingBlock(x, 4, [728, 728], true);
  for (let i = 0; i < 8; i++) {
    const residual = x;
    const prefix = `block${i + 5}`;
    for (let j = 1; j <= 3; j++) {
      x = call(relu(`${prefix}_sepconv${j}_act`), x);
      x = call(separable(728, `${prefix}_sepconv${j}`), x);
      x = call(batchNorm(`${prefix}_sepconv${j}_bn`), x);
    }
    x = call(new Add(), [x, residual]);
  }
  x = downsamplingBlock(x, 13, [728, 1024], true);
  x = call(separable(1536, 'block14_sepconv1'), x);
  x = call(batchNorm('block14_sepconv1_bn'), x);
  x = call(relu('block14_sepconv1_act'), x);
  x = call(separable(2048, 'block14_sepconv2'), x);
  x = call(batchNorm('block14_sepconv2_bn'), x);
  x = call(relu('block14_sepconv2_act'), x);
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ name: 'avg_pool' }), x);
    x = predictionsLayer(x, args);
  } else {
    x = poolingTop(x, args.pooling);
  }
  return finishApplication(builder, input, x, args.name ?? 'xception', args, () => {
    const name = `xception_weights_tf_dim_ordering_tf_kernels${args.includeTop ? '' : '_notop'}.h5`;
    return { name, url: `${KERAS_APPLICATIONS_URL}xception/${name}`, hash: args.includeTop ? '0a58e3b7378bc2990ea3b43d5981f1f6' : 'b0042744bf5b25fce3cb969f33bebb97' };
  });
}

/** Xception's inputs: 'tf' (pixels scaled to [-1, 1]). */
export const preprocessInput = preprocessingFor('tf');
export { decodePredictions };
