// keras.applications.resnet: ResNet50, ResNet101 and ResNet152 (He et al., 2015): four stacks
// of bottleneck residual blocks on ResNet's body (resnet_body.ts).
import { Activation } from '../layers/activations/activation.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { Add } from '../layers/merging/add.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import type { ApplicationArgs } from './application_arguments.js';
import { batchNorm } from './family_helpers.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { ResNet } from './resnet_body.js';

/** Keras' `residual_block_v1`: a 1x1-3x3-1x1 bottleneck added to its input (or a projection of it). */
function residualBlockV1(x: SymbolicTensor, filters: number, name: string, stride = 1, convShortcut = true): SymbolicTensor {
  let shortcut = x;
  if (convShortcut) {
    shortcut = call(new Conv2D({ filters: 4 * filters, kernelSize: 1, strides: stride, name: `${name}_0_conv` }), x);
    shortcut = call(batchNorm(`${name}_0_bn`), shortcut);
  }
  x = call(new Conv2D({ filters, kernelSize: 1, strides: stride, name: `${name}_1_conv` }), x);
  x = call(batchNorm(`${name}_1_bn`), x);
  x = call(new Activation('relu', { name: `${name}_1_relu` }), x);
  x = call(new Conv2D({ filters, kernelSize: 3, padding: 'same', name: `${name}_2_conv` }), x);
  x = call(batchNorm(`${name}_2_bn`), x);
  x = call(new Activation('relu', { name: `${name}_2_relu` }), x);
  x = call(new Conv2D({ filters: 4 * filters, kernelSize: 1, name: `${name}_3_conv` }), x);
  x = call(batchNorm(`${name}_3_bn`), x);
  x = call(new Add({ name: `${name}_add` }), [shortcut, x]);
  return call(new Activation('relu', { name: `${name}_out` }), x);
}

function stackV1(x: SymbolicTensor, filters: number, blocks: number, name: string, stride1 = 2): SymbolicTensor {
  x = residualBlockV1(x, filters, `${name}_block1`, stride1);
  for (let i = 2; i <= blocks; i++) x = residualBlockV1(x, filters, `${name}_block${i}`, 1, false);
  return x;
}

/** The four stacks of V1 with `blocks` bottlenecks each. */
function stacksV1(blocks: [number, number, number, number]): (x: SymbolicTensor) => SymbolicTensor {
  return (x) => {
    x = stackV1(x, 64, blocks[0], 'conv2', 1);
    x = stackV1(x, 128, blocks[1], 'conv3');
    x = stackV1(x, 256, blocks[2], 'conv4');
    return stackV1(x, 512, blocks[3], 'conv5');
  };
}

/** Keras' `ResNet50` (3, 4, 6, 3 blocks). */
export function ResNet50(args?: ApplicationArgs): Promise<Model> {
  return ResNet('ResNet50', 'resnet50', stacksV1([3, 4, 6, 3]), false, args);
}

/** Keras' `ResNet101` (3, 4, 23, 3 blocks). */
export function ResNet101(args?: ApplicationArgs): Promise<Model> {
  return ResNet('ResNet101', 'resnet101', stacksV1([3, 4, 23, 3]), false, args);
}

/** Keras' `ResNet152` (3, 8, 36, 3 blocks). */
export function ResNet152(args?: ApplicationArgs): Promise<Model> {
  return ResNet('ResNet152', 'resnet152', stacksV1([3, 8, 36, 3]), false, args);
}

/** ResNet's inputs: 'caffe' (BGR, less ImageNet's channel means). */
export const preprocessInput = preprocessingFor('caffe');
export { decodePredictions };
