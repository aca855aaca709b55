// keras.applications.resnet: ResNet50, ResNet101 and ResNet152 (He et al., 2015), and the body
// ResNetV2 shares with them (resnet_v2.ts): a 7x7 stem, four stacks of bottleneck residual
// blocks, the pooling or classifier top.
import { Activation } from '../layers/activations/activation.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { Add } from '../layers/merging/add.js';
import { BatchNormalization } from '../layers/normalization/batch_normalization.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { MaxPooling2D } from '../layers/pooling/max_pooling2d.js';
import { ZeroPadding2D } from '../layers/reshaping/zero_padding2d.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, predictionsLayer, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

/** Keras' checksums of its files: [with the top, without]. */
const IMAGENET_HASHES: Record<string, [string, string]> = {
  resnet50: ['2cb95161c43110f7111970584f804107', '4d473c1dd8becc155b73f8504c6f6626'],
  resnet101: ['f1aeb4b969a6efcfb50fad2f0c20cfc5', '88cf7a10940856eca736dc7b7e228a21'],
  resnet152: ['100835be76be38e30d865e96f2aaae62', 'ee4c566cf9a93f14d82f913c2dc6dd0c'],
  resnet50v2: ['3ef43a0b657b3be2300d5770ece849e0', 'fac2f116257151a9d068a22e544a4917'],
  resnet101v2: ['6343647c601c52e1368623803854d971', 'c0ed64b8031c3730f411d2eb4eea35b5'],
  resnet152v2: ['a49b44d1979771252814e80f8ec446f9', 'ed17cf2e0169df9d443503ef94b23b33'],
};

/** Keras' applications normalise with epsilon 1.001e-5 on the channel axis (3). */
export function batchNorm(name: string): BatchNormalization {
  return new BatchNormalization({ axis: 3, epsilon: 1.001e-5, name });
}

/** Keras' `ResNet`: the stem, `stack` (the residual stacks), the top; `preact` is V2's layout. */
export async function ResNet(builder: string, family: string, stack: (x: SymbolicTensor) => SymbolicTensor, preact: boolean, options: ApplicationArgs | undefined): Promise<Model> {
  const args = resolveApplicationArgs(builder, options);
  const input = imageInput(obtainInputShape(builder, args, 224, 32));
  let x = call(new ZeroPadding2D({ padding: [[3, 3], [3, 3]], name: 'conv1_pad' }), input);
  x = call(new Conv2D({ filters: 64, kernelSize: 7, strides: 2, useBias: true, name: 'conv1_conv' }), x);
  if (!preact) {
    x = call(batchNorm('conv1_bn'), x);
    x = call(new Activation('relu', { name: 'conv1_relu' }), x);
  }
  x = call(new ZeroPadding2D({ padding: [[1, 1], [1, 1]], name: 'pool1_pad' }), x);
  x = call(new MaxPooling2D({ poolSize: 3, strides: 2, name: 'pool1_pool' }), x);
  x = stack(x);
  if (preact) {
    x = call(batchNorm('post_bn'), x);
    x = call(new Activation('relu', { name: 'post_relu' }), x);
  }
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ name: 'avg_pool' }), x);
    x = predictionsLayer(x, args);
  } else {
    x = poolingTop(x, args.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  return finishApplication(builder, input, x, args.name ?? family, args, () => {
    const name = `${family}_weights_tf_dim_ordering_tf_kernels${args.includeTop ? '' : '_notop'}.h5`;
    return { name, url: `${KERAS_APPLICATIONS_URL}resnet/${name}`, hash: IMAGENET_HASHES[family][args.includeTop ? 0 : 1] };
  });
}

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
