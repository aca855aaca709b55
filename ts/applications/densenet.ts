// keras.applications.densenet: DenseNet121, DenseNet169, DenseNet201 (Huang et al., 2017): dense
// blocks, each layer concatenated to all before it, joined by transition blocks that halve the
// channels and the size.
import { Activation } from '../layers/activations/activation.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { Concatenate } from '../layers/merging/concatenate.js';
import { AveragePooling2D } from '../layers/pooling/average_pooling2d.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { MaxPooling2D } from '../layers/pooling/max_pooling2d.js';
import { ZeroPadding2D } from '../layers/reshaping/zero_padding2d.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, predictionsLayer, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { batchNorm } from './family_helpers.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

const GROWTH_RATE = 32;

/** Keras' checksums: [with the top, without]. */
const IMAGENET_HASHES: Record<string, [string, string]> = {
  densenet121: ['9d60b8095a5708f2dcce2bca79d332c7', '30ee3e1110167f948a6b9946edeeb738'],
  densenet169: ['d699b8f76981ab1b30698df4c175e90b', 'b8c4d4c20dd625c148057b9ff1c1176b'],
  densenet201: ['1ceb130c1ea1b78c3bf6114dbdfd8807', 'c13680b51ded0fb44dff2d8f86ac8bb1'],
};

function convBlock(x: SymbolicTensor, name: string): SymbolicTensor {
  let x1 = call(batchNorm(`${name}_0_bn`), x);
  x1 = call(new Activation('relu', { name: `${name}_0_relu` }), x1);
  x1 = call(new Conv2D({ filters: 4 * GROWTH_RATE, kernelSize: 1, useBias: false, name: `${name}_1_conv` }), x1);
  x1 = call(batchNorm(`${name}_1_bn`), x1);
  x1 = call(new Activation('relu', { name: `${name}_1_relu` }), x1);
  x1 = call(new Conv2D({ filters: GROWTH_RATE, kernelSize: 3, padding: 'same', useBias: false, name: `${name}_2_conv` }), x1);
  return call(new Concatenate({ axis: 3, name: `${name}_concat` }), [x, x1]);
}

function denseBlock(x: SymbolicTensor, blocks: number, name: string): SymbolicTensor {
  for (let i = 1; i <= blocks; i++) x = convBlock(x, `${name}_block${i}`);
  return x;
}

function transitionBlock(x: SymbolicTensor, reduction: number, name: string): SymbolicTensor {
  x = call(batchNorm(`${name}_bn`), x);
  x = call(new Activation('relu', { name: `${name}_relu` }), x);
  x = call(new Conv2D({ filters: Math.trunc((x.shape[3] as number) * reduction), kernelSize: 1, useBias: false, name: `${name}_conv` }), x);
  return call(new AveragePooling2D({ poolSize: 2, strides: 2, name: `${name}_pool` }), x);
}

async function DenseNet(builder: string, family: string, blocks: [number, number, number, number], options: ApplicationArgs | undefined): Promise<Model> {
  const args = resolveApplicationArgs(builder, options);
  const input = imageInput(obtainInputShape(builder, args, 224, 32));
  let x = call(
    new ZeroPadding2D({
      padding: [
        [3, 3],
        [3, 3],
      ],
    }),
    input,
  );
  x = call(new Conv2D({ filters: 64, kernelSize: 7, strides: 2, useBias: false, name: 'conv1_conv' }), x);
  x = call(batchNorm('conv1_bn'), x);
  x = call(new Activation('relu', { name: 'conv1_relu' }), x);
  x = call(
    new ZeroPadding2D({
      padding: [
        [1, 1],
        [1, 1],
      ],
    }),
    x,
  );
  x = call(new MaxPooling2D({ poolSize: 3, strides: 2, name: 'pool1' }), x);
  x = denseBlock(x, blocks[0], 'conv2');
  x = transitionBlock(x, 0.5, 'pool2');
  x = denseBlock(x, blocks[1], 'conv3');
  x = transitionBlock(x, 0.5, 'pool3');
  x = denseBlock(x, blocks[2], 'conv4');
  x = transitionBlock(x, 0.5, 'pool4');
  x = denseBlock(x, blocks[3], 'conv5');
  x = call(batchNorm('bn'), x);
  x = call(new Activation('relu', { name: 'relu' }), x);
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ name: 'avg_pool' }), x);
    x = predictionsLayer(x, args);
  } else {
    x = poolingTop(x, args.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  return finishApplication(builder, input, x, args.name ?? family, args, () => {
    const name = `${family}_weights_tf_dim_ordering_tf_kernels${args.includeTop ? '' : '_notop'}.h5`;
    return { name, url: `${KERAS_APPLICATIONS_URL}densenet/${name}`, hash: IMAGENET_HASHES[family][args.includeTop ? 0 : 1] };
  });
}

/** Keras' `DenseNet121` (6, 12, 24, 16 layers per dense block). */
export function DenseNet121(args?: ApplicationArgs): Promise<Model> {
  return DenseNet('DenseNet121', 'densenet121', [6, 12, 24, 16], args);
}

/** Keras' `DenseNet169` (6, 12, 32, 32). */
export function DenseNet169(args?: ApplicationArgs): Promise<Model> {
  return DenseNet('DenseNet169', 'densenet169', [6, 12, 32, 32], args);
}

/** Keras' `DenseNet201` (6, 12, 48, 32). */
export function DenseNet201(args?: ApplicationArgs): Promise<Model> {
  return DenseNet('DenseNet201', 'densenet201', [6, 12, 48, 32], args);
}

/** DenseNet's inputs: 'torch' (pixels scaled to [0, 1], normalised by ImageNet's mean and std). */
export const preprocessInput = preprocessingFor('torch');
export { decodePredictions };
