// keras.applications.resnet_v2: ResNet50V2, ResNet101V2, ResNet152V2 (He et al., 2016):
// ResNet's body with pre-activation blocks (normalisation and ReLU before each convolution).
import { Activation } from '../layers/activations/activation.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { Add } from '../layers/merging/add.js';
import { MaxPooling2D } from '../layers/pooling/max_pooling2d.js';
import { ZeroPadding2D } from '../layers/reshaping/zero_padding2d.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import type { ApplicationArgs } from './application_arguments.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { batchNorm } from './family_helpers.js';
import { ResNet } from './resnet_body.js';

/** Keras' `residual_block_v2`; the stride is on the 3x3 convolution, the shortcut pooled to match. */
function residualBlockV2(x: SymbolicTensor, filters: number, name: string, stride = 1, convShortcut = false): SymbolicTensor {
  let preact = call(batchNorm(`${name}_preact_bn`), x);
  preact = call(new Activation('relu', { name: `${name}_preact_relu` }), preact);
  let shortcut: SymbolicTensor;
  if (convShortcut) shortcut = call(new Conv2D({ filters: 4 * filters, kernelSize: 1, strides: stride, name: `${name}_0_conv` }), preact);
  else shortcut = stride > 1 ? call(new MaxPooling2D({ poolSize: 1, strides: stride }), x) : x;
  x = call(new Conv2D({ filters, kernelSize: 1, strides: 1, useBias: false, name: `${name}_1_conv` }), preact);
  x = call(batchNorm(`${name}_1_bn`), x);
  x = call(new Activation('relu', { name: `${name}_1_relu` }), x);
  x = call(
    new ZeroPadding2D({
      padding: [
        [1, 1],
        [1, 1],
      ],
      name: `${name}_2_pad`,
    }),
    x,
  );
  x = call(new Conv2D({ filters, kernelSize: 3, strides: stride, useBias: false, name: `${name}_2_conv` }), x);
  x = call(batchNorm(`${name}_2_bn`), x);
  x = call(new Activation('relu', { name: `${name}_2_relu` }), x);
  x = call(new Conv2D({ filters: 4 * filters, kernelSize: 1, name: `${name}_3_conv` }), x);
  return call(new Add({ name: `${name}_out` }), [shortcut, x]);
}

function stackV2(x: SymbolicTensor, filters: number, blocks: number, name: string, stride1 = 2): SymbolicTensor {
  x = residualBlockV2(x, filters, `${name}_block1`, 1, true);
  for (let i = 2; i < blocks; i++) x = residualBlockV2(x, filters, `${name}_block${i}`);
  return residualBlockV2(x, filters, `${name}_block${blocks}`, stride1);
}

function stacksV2(blocks: [number, number, number, number]): (x: SymbolicTensor) => SymbolicTensor {
  return (x) => {
    x = stackV2(x, 64, blocks[0], 'conv2');
    x = stackV2(x, 128, blocks[1], 'conv3');
    x = stackV2(x, 256, blocks[2], 'conv4');
    return stackV2(x, 512, blocks[3], 'conv5', 1);
  };
}

/** Keras' `ResNet50V2` (3, 4, 6, 3 blocks). */
export function ResNet50V2(args?: ApplicationArgs): Promise<Model> {
  return ResNet('ResNet50V2', 'resnet50v2', stacksV2([3, 4, 6, 3]), true, args);
}

/** Keras' `ResNet101V2` (3, 4, 23, 3 blocks). */
export function ResNet101V2(args?: ApplicationArgs): Promise<Model> {
  return ResNet('ResNet101V2', 'resnet101v2', stacksV2([3, 4, 23, 3]), true, args);
}

/** Keras' `ResNet152V2` (3, 8, 36, 3 blocks). */
export function ResNet152V2(args?: ApplicationArgs): Promise<Model> {
  return ResNet('ResNet152V2', 'resnet152v2', stacksV2([3, 8, 36, 3]), true, args);
}

/** ResNetV2's inputs: 'tf' (pixels scaled to [-1, 1]). */
export const preprocessInput = preprocessingFor('tf');
export { decodePredictions };
