// keras.applications.mobilenet_v2: MobileNetV2 (Sandler et al., 2018): inverted residual blocks
// with linear bottlenecks, thinned by `alpha`.
import { ValueError } from '../errors.js';
import { ReLU } from '../layers/activations/relu.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { DepthwiseConv2D } from '../layers/convolutional/depthwise_conv2d.js';
import { Add } from '../layers/merging/add.js';
import { BatchNormalization } from '../layers/normalization/batch_normalization.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { ZeroPadding2D } from '../layers/reshaping/zero_padding2d.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import { describeValue } from '../utils/options.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, predictionsLayer, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { correctPad, defaultSizeFor, makeDivisible, twoDecimals } from './family_helpers.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

export interface MobileNetV2Args extends ApplicationArgs {
  /** The width multiplier [1.0]. */
  alpha?: number;
}

const IMAGENET_SIZES = [96, 128, 160, 192, 224];

function batchNorm(name: string): BatchNormalization {
  return new BatchNormalization({ axis: -1, epsilon: 1e-3, momentum: 0.999, name });
}

function invertedResBlock(inputs: SymbolicTensor, expansion: number, stride: number, alpha: number, filters: number, blockId: number): SymbolicTensor {
  const inChannels = inputs.shape[inputs.shape.length - 1] as number;
  const pointwiseFilters = makeDivisible(Math.trunc(filters * alpha), 8);
  let x = inputs;
  let prefix = `block_${blockId}_`;
  if (blockId) {
    x = call(new Conv2D({ filters: expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, activation: null, name: `${prefix}expand` }), x);
    x = call(batchNorm(`${prefix}expand_BN`), x);
    x = call(new ReLU(6, { name: `${prefix}expand_relu` }), x);
  } else {
    prefix = 'expanded_conv_';
  }
  if (stride === 2) x = call(new ZeroPadding2D({ padding: correctPad(x, 3), name: `${prefix}pad` }), x);
  x = call(new DepthwiseConv2D({ kernelSize: 3, strides: stride, activation: null, useBias: false, padding: stride === 1 ? 'same' : 'valid', name: `${prefix}depthwise` }), x);
  x = call(batchNorm(`${prefix}depthwise_BN`), x);
  x = call(new ReLU(6, { name: `${prefix}depthwise_relu` }), x);
  x = call(new Conv2D({ filters: pointwiseFilters, kernelSize: 1, padding: 'same', useBias: false, activation: null, name: `${prefix}project` }), x);
  x = call(batchNorm(`${prefix}project_BN`), x);
  if (inChannels === pointwiseFilters && stride === 1) return call(new Add({ name: `${prefix}add` }), [inputs, x]);
  return x;
}

/** Keras' `MobileNetV2`; its name defaults to `mobilenetv2_<alpha>_<rows>`. */
export async function MobileNetV2(options?: MobileNetV2Args): Promise<Model> {
  const builder = 'MobileNetV2';
  const args = resolveApplicationArgs(builder, options, ['alpha']);
  const { alpha = 1.0 } = options ?? {};
  if (typeof alpha !== 'number' || !(alpha > 0)) throw new ValueError(`${builder}: alpha must be a positive number. Received: alpha=${describeValue(alpha)}`);
  const shape = obtainInputShape(builder, args, defaultSizeFor(args.inputShape, IMAGENET_SIZES), 32);
  let rows = shape[0];
  if (args.weights === 'imagenet') {
    if (![0.35, 0.5, 0.75, 1.0, 1.3, 1.4].includes(alpha)) {
      throw new ValueError(`${builder}: If imagenet weights are being loaded, alpha must be one of \`0.35\`, \`0.50\`, \`0.75\`, \`1.0\`, \`1.3\` or \`1.4\` only; Received \`alpha=${alpha}\``);
    }
    if (rows !== shape[1] || rows === null || !IMAGENET_SIZES.includes(rows)) {
      rows = 224;
      process.emitWarning('MobileNetV2: `inputShape` is undefined or non-square, or `rows` is not in [96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded as the default.');
    }
  }
  const input = imageInput(shape);
  let x = call(new Conv2D({ filters: makeDivisible(32 * alpha, 8), kernelSize: 3, strides: [2, 2], padding: 'same', useBias: false, name: 'Conv1' }), input);
  x = call(batchNorm('bn_Conv1'), x);
  x = call(new ReLU(6, { name: 'Conv1_relu' }), x);
  // [filters, stride, expansion] of blocks 0 to 16.
  const blocks: [number, number, number][] = [
    [16, 1, 1],
    [24, 2, 6],
    [24, 1, 6],
    [32, 2, 6],
    [32, 1, 6],
    [32, 1, 6],
    [64, 2, 6],
    [64, 1, 6],
    [64, 1, 6],
    [64, 1, 6],
    [96, 1, 6],
    [96, 1, 6],
    [96, 1, 6],
    [160, 2, 6],
    [160, 1, 6],
    [160, 1, 6],
    [320, 1, 6],
  ];
  blocks.forEach(([filters, stride, expansion], blockId) => (x = invertedResBlock(x, expansion, stride, alpha, filters, blockId)));
  const lastBlockFilters = alpha > 1.0 ? makeDivisible(1280 * alpha, 8) : 1280;
  x = call(new Conv2D({ filters: lastBlockFilters, kernelSize: 1, useBias: false, name: 'Conv_1' }), x);
  x = call(batchNorm('Conv_1_bn'), x);
  x = call(new ReLU(6, { name: 'out_relu' }), x);
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D(), x);
    x = predictionsLayer(x, args);
  } else {
    x = poolingTop(x, args.pooling);
  }
  return finishApplication(builder, input, x, args.name ?? `mobilenetv2_${twoDecimals(alpha)}_${rows}`, args, () => {
    // Python's str(float(alpha)): '1.0', '0.35', '1.4'.
    const alphaText = Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
    const name = `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alphaText}_${rows}${args.includeTop ? '' : '_no_top'}.h5`;
    return { name, url: `${KERAS_APPLICATIONS_URL}mobilenet_v2/${name}`, hash: '' };
  });
}

/** MobileNetV2's inputs: 'tf' (pixels scaled to [-1, 1]). */
export const preprocessInput = preprocessingFor('tf');
export { decodePredictions };
