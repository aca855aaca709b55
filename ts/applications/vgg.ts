// keras.applications.vgg16 and vgg19: five blocks of 3x3 convolutions and max pooling, then two
// 4096-unit layers and the classifier (Simonyan & Zisserman, 2015).
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { Dense } from '../layers/core/dense.js';
import { Flatten } from '../layers/reshaping/flatten.js';
import { MaxPooling2D } from '../layers/pooling/max_pooling2d.js';
import type { Model } from '../models/model.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, predictionsLayer, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL, type PretrainedFile } from './pretrained_weights.js';

/** Keras' files and checksums: [with the top, without]. */
const IMAGENET_HASHES: Record<'vgg16' | 'vgg19', [string, string]> = {
  vgg16: ['64373286793e3c8b2b4e3219cbf3544b', '6d6bbae143d832006294945121d1f1fc'],
  vgg19: ['cbe5617147190e668d6c5d5026f83318', '253f8cb515780f3b799900260a226db6'],
};

async function VGG(builder: string, family: 'vgg16' | 'vgg19', convolutionsPerBlock: number[], options: ApplicationArgs | undefined): Promise<Model> {
  const args = resolveApplicationArgs(builder, options);
  const input = imageInput(obtainInputShape(builder, args, 224, 32));
  let x = input;
  const filters = [64, 128, 256, 512, 512];
  convolutionsPerBlock.forEach((count, b) => {
    for (let i = 1; i <= count; i++) {
      x = call(new Conv2D({ filters: filters[b], kernelSize: [3, 3], activation: 'relu', padding: 'same', name: `block${b + 1}_conv${i}` }), x);
    }
    x = call(new MaxPooling2D({ poolSize: [2, 2], strides: [2, 2], name: `block${b + 1}_pool` }), x);
  });
  if (args.includeTop) {
    x = call(new Flatten({ name: 'flatten' }), x);
    x = call(new Dense(4096, { activation: 'relu', name: 'fc1' }), x);
    x = call(new Dense(4096, { activation: 'relu', name: 'fc2' }), x);
    x = predictionsLayer(x, args);
  } else {
    x = poolingTop(x, args.pooling);
  }
  return finishApplication(builder, input, x, args.name ?? family, args, (): PretrainedFile => {
    const name = `${family}_weights_tf_dim_ordering_tf_kernels${args.includeTop ? '' : '_notop'}.h5`;
    return { name, url: `${KERAS_APPLICATIONS_URL}${family}/${name}`, hash: IMAGENET_HASHES[family][args.includeTop ? 0 : 1] };
  });
}

/** Keras' `VGG16`: 13 convolutions (2, 2, 3, 3, 3 per block). */
export function VGG16(args?: ApplicationArgs): Promise<Model> {
  return VGG('VGG16', 'vgg16', [2, 2, 3, 3, 3], args);
}

/** Keras' `VGG19`: 16 convolutions (2, 2, 4, 4, 4 per block). */
export function VGG19(args?: ApplicationArgs): Promise<Model> {
  return VGG('VGG19', 'vgg19', [2, 2, 4, 4, 4], args);
}

/** VGG's inputs: 'caffe' (BGR, less ImageNet's channel means). */
export const preprocessInput = preprocessingFor('caffe');
export { decodePredictions };
