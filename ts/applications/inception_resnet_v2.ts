// keras.applications.inception_resnet_v2: InceptionResNetV2 (Szegedy et al., 2017): Inception
// branches whose 1x1 projection is added, scaled (CustomScaleLayer), to the block's input.
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
import { CustomScaleLayer } from './custom_scale_layer.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

interface ConvBnOptions {
  strides?: number;
  padding?: 'same' | 'valid';
  activation?: string | null;
  useBias?: boolean;
  name?: string;
}

/** Keras' `conv2d_bn` here: normalisation (without scale) only without bias; named layers only when `name` is. */
function conv2dBn(x: SymbolicTensor, filters: number, kernelSize: number | [number, number], options: ConvBnOptions = {}): SymbolicTensor {
  const { strides = 1, padding = 'same', activation = 'relu', useBias = false, name } = options;
  const named = (suffix: string) => (name === undefined ? {} : { name: `${name}${suffix}` });
  x = call(new Conv2D({ filters, kernelSize, strides, padding, useBias, ...named('') }), x);
  if (!useBias) x = call(new BatchNormalization({ axis: 3, scale: false, ...named('_bn') }), x);
  if (activation !== null) x = call(new Activation(activation, named('_ac')), x);
  return x;
}

const concat = (branches: SymbolicTensor[], name: string) => call(new Concatenate({ axis: 3, name }), branches);
const maxPool = (x: SymbolicTensor) => call(new MaxPooling2D({ poolSize: 3, strides: 2, padding: 'valid' }), x);

function inceptionResnetBlock(x: SymbolicTensor, scale: number, blockType: 'block35' | 'block17' | 'block8', blockIdx: number, activation: string | null = 'relu'): SymbolicTensor {
  let branches: SymbolicTensor[];
  if (blockType === 'block35') {
    const branch0 = conv2dBn(x, 32, 1);
    const branch1 = conv2dBn(conv2dBn(x, 32, 1), 32, 3);
    const branch2 = conv2dBn(conv2dBn(conv2dBn(x, 32, 1), 48, 3), 64, 3);
    branches = [branch0, branch1, branch2];
  } else if (blockType === 'block17') {
    const branch0 = conv2dBn(x, 192, 1);
    const branch1 = conv2dBn(conv2dBn(conv2dBn(x, 128, 1), 160, [1, 7]), 192, [7, 1]);
    branches = [branch0, branch1];
  } else {
    const branch0 = conv2dBn(x, 192, 1);
    const branch1 = conv2dBn(conv2dBn(conv2dBn(x, 192, 1), 224, [1, 3]), 256, [3, 1]);
    branches = [branch0, branch1];
  }
  const blockName = `${blockType}_${blockIdx}`;
  const mixed = concat(branches, `${blockName}_mixed`);
  const up = conv2dBn(mixed, x.shape[3] as number, 1, { activation: null, useBias: true, name: `${blockName}_conv` });
  x = call(new CustomScaleLayer(scale), [x, up]);
  if (activation !== null) x = call(new Activation(activation, { name: `${blockName}_ac` }), x);
  return x;
}

/** Keras' `InceptionResNetV2` (299x299 by default, at least 75x75). */
export async function InceptionResNetV2(options?: ApplicationArgs): Promise<Model> {
  const builder = 'InceptionResNetV2';
  const args = resolveApplicationArgs(builder, options);
  const input = imageInput(obtainInputShape(builder, args, 299, 75));
  let x = conv2dBn(input, 32, 3, { strides: 2, padding: 'valid' });
  x = conv2dBn(x, 32, 3, { padding: 'valid' });
  x = conv2dBn(x, 64, 3);
  x = maxPool(x);
  x = conv2dBn(x, 80, 1, { padding: 'valid' });
  x = conv2dBn(x, 192, 3, { padding: 'valid' });
  x = maxPool(x);
  {
    const branch0 = conv2dBn(x, 96, 1);
    const branch1 = conv2dBn(conv2dBn(x, 48, 1), 64, 5);
    const branch2 = conv2dBn(conv2dBn(conv2dBn(x, 64, 1), 96, 3), 96, 3);
    const branchPool = conv2dBn(call(new AveragePooling2D({ poolSize: 3, strides: 1, padding: 'same' }), x), 64, 1);
    x = concat([branch0, branch1, branch2, branchPool], 'mixed_5b');
  }
  for (let i = 1; i <= 10; i++) x = inceptionResnetBlock(x, 0.17, 'block35', i);
  {
    const branch0 = conv2dBn(x, 384, 3, { strides: 2, padding: 'valid' });
    const branch1 = conv2dBn(conv2dBn(conv2dBn(x, 256, 1), 256, 3), 384, 3, { strides: 2, padding: 'valid' });
    x = concat([branch0, branch1, maxPool(x)], 'mixed_6a');
  }
  for (let i = 1; i <= 20; i++) x = inceptionResnetBlock(x, 0.1, 'block17', i);
  {
    const branch0 = conv2dBn(conv2dBn(x, 256, 1), 384, 3, { strides: 2, padding: 'valid' });
    const branch1 = conv2dBn(conv2dBn(x, 256, 1), 288, 3, { strides: 2, padding: 'valid' });
    const branch2 = conv2dBn(conv2dBn(conv2dBn(x, 256, 1), 288, 3), 320, 3, { strides: 2, padding: 'valid' });
    x = concat([branch0, branch1, branch2, maxPool(x)], 'mixed_7a');
  }
  for (let i = 1; i <= 9; i++) x = inceptionResnetBlock(x, 0.2, 'block8', i);
  x = inceptionResnetBlock(x, 1.0, 'block8', 10, null);
  x = conv2dBn(x, 1536, 1, { name: 'conv_7b' });
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ name: 'avg_pool' }), x);
    x = predictionsLayer(x, args);
  } else {
    x = poolingTop(x, args.pooling);
  }
  return finishApplication(builder, input, x, args.name ?? 'inception_resnet_v2', args, () => {
    const name = `inception_resnet_v2_weights_tf_dim_ordering_tf_kernels${args.includeTop ? '' : '_notop'}.h5`;
    return { name, url: `${KERAS_APPLICATIONS_URL}inception_resnet_v2/${name}`, hash: args.includeTop ? 'e693bd0210a403b3192acc6073ad2e96' : 'd19885ff4a710c122648d3b5c3b684e4' };
  });
}

/** InceptionResNetV2's inputs: 'tf' (pixels scaled to [-1, 1]). */
export const preprocessInput = preprocessingFor('tf');
export { decodePredictions };
