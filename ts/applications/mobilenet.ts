// keras.applications.mobilenet: MobileNet (Howard et al., 2017): depthwise separable
// convolutions, thinned by `alpha`, with a 1x1-convolution classifier.
import { ValueError } from '../errors.js';
import { Activation } from '../layers/activations/activation.js';
import { ReLU } from '../layers/activations/relu.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { DepthwiseConv2D } from '../layers/convolutional/depthwise_conv2d.js';
import { Reshape } from '../layers/reshaping/reshape.js';
import { ZeroPadding2D } from '../layers/reshaping/zero_padding2d.js';
import { BatchNormalization } from '../layers/normalization/batch_normalization.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { Dropout } from '../layers/regularization/dropout.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import { describeValue } from '../utils/options.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { defaultSizeFor, twoDecimals } from './family_helpers.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

export interface MobileNetArgs extends ApplicationArgs {
  /** The width multiplier: each layer's filters times `alpha` [1.0]. */
  alpha?: number;
  /** The depthwise convolutions' channel multiplier [1]. */
  depthMultiplier?: number;
  /** The dropout rate before the classifier [0.001]. */
  dropout?: number;
}

/** The input sizes Keras publishes ImageNet weights for. */
const IMAGENET_SIZES = [128, 160, 192, 224];

function convBlock(x: SymbolicTensor, filters: number, alpha: number): SymbolicTensor {
  x = call(new Conv2D({ filters: Math.trunc(filters * alpha), kernelSize: [3, 3], padding: 'same', useBias: false, strides: [2, 2], name: 'conv1' }), x);
  x = call(new BatchNormalization({ axis: -1, name: 'conv1_bn' }), x);
  return call(new ReLU(6, { name: 'conv1_relu' }), x);
}

function depthwiseConvBlock(x: SymbolicTensor, pointwiseFilters: number, alpha: number, depthMultiplier: number, blockId: number, stride = 1): SymbolicTensor {
  if (stride !== 1)
    x = call(
      new ZeroPadding2D({
        padding: [
          [0, 1],
          [0, 1],
        ],
        name: `conv_pad_${blockId}`,
      }),
      x,
    );
  x = call(new DepthwiseConv2D({ kernelSize: [3, 3], padding: stride === 1 ? 'same' : 'valid', depthMultiplier, strides: [stride, stride], useBias: false, name: `conv_dw_${blockId}` }), x);
  x = call(new BatchNormalization({ axis: -1, name: `conv_dw_${blockId}_bn` }), x);
  x = call(new ReLU(6, { name: `conv_dw_${blockId}_relu` }), x);
  x = call(new Conv2D({ filters: Math.trunc(pointwiseFilters * alpha), kernelSize: [1, 1], padding: 'same', useBias: false, strides: [1, 1], name: `conv_pw_${blockId}` }), x);
  x = call(new BatchNormalization({ axis: -1, name: `conv_pw_${blockId}_bn` }), x);
  return call(new ReLU(6, { name: `conv_pw_${blockId}_relu` }), x);
}

/** Keras' `MobileNet`; its name defaults to `mobilenet_<alpha>_<rows>`. */
export async function MobileNet(options?: MobileNetArgs): Promise<Model> {
  const builder = 'MobileNet';
  const args = resolveApplicationArgs(builder, options, ['alpha', 'depthMultiplier', 'dropout']);
  const { alpha = 1.0, depthMultiplier = 1, dropout = 0.001 } = options ?? {};
  if (typeof alpha !== 'number' || !(alpha > 0)) throw new ValueError(`${builder}: alpha must be a positive number. Received: alpha=${describeValue(alpha)}`);
  if (!Number.isInteger(depthMultiplier) || depthMultiplier < 1)
    throw new ValueError(`${builder}: depthMultiplier must be a positive integer. Received: depthMultiplier=${describeValue(depthMultiplier)}`);
  const shape = obtainInputShape(builder, args, defaultSizeFor(args.inputShape, IMAGENET_SIZES), 32);
  let rows = shape[0];
  if (args.weights === 'imagenet') {
    if (depthMultiplier !== 1) throw new ValueError(`${builder}: If imagenet weights are being loaded, depth multiplier must be 1. Received depthMultiplier=${depthMultiplier}`);
    if (![0.25, 0.5, 0.75, 1.0].includes(alpha))
      throw new ValueError(`${builder}: If imagenet weights are being loaded, alpha can be one of \`0.25\`, \`0.50\`, \`0.75\` or \`1.0\` only. Received alpha=${alpha}`);
    if (rows !== shape[1] || rows === null || !IMAGENET_SIZES.includes(rows)) {
      rows = 224;
      process.emitWarning('MobileNet: `inputShape` is undefined or non-square, or `rows` is not in [128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded as the default.');
    }
  }
  const input = imageInput(shape);
  let x = convBlock(input, 32, alpha);
  const blocks: [number, number][] = [
    [64, 1],
    [128, 2],
    [128, 1],
    [256, 2],
    [256, 1],
    [512, 2],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [1024, 2],
    [1024, 1],
  ];
  blocks.forEach(([filters, stride], i) => (x = depthwiseConvBlock(x, filters, alpha, depthMultiplier, i + 1, stride)));
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ keepdims: true }), x);
    x = call(new Dropout(dropout, { name: 'dropout' }), x);
    x = call(new Conv2D({ filters: args.classes, kernelSize: [1, 1], padding: 'same', name: 'conv_preds' }), x);
    x = call(new Reshape([args.classes], { name: 'reshape_2' }), x);
    x = call(new Activation(args.classifierActivation, { name: 'predictions' }), x);
  } else {
    x = poolingTop(x, args.pooling);
  }
  return finishApplication(builder, input, x, args.name ?? `mobilenet_${twoDecimals(alpha)}_${rows}`, args, () => {
    const alphaText = alpha === 1.0 ? '1_0' : alpha === 0.75 ? '7_5' : alpha === 0.5 ? '5_0' : '2_5';
    const name = `mobilenet_${alphaText}_${rows}_tf${args.includeTop ? '' : '_no_top'}.h5`;
    return { name, url: `${KERAS_APPLICATIONS_URL}mobilenet/${name}`, hash: '' };
  });
}

/** MobileNet's inputs: 'tf' (pixels scaled to [-1, 1]). */
export const preprocessInput = preprocessingFor('tf');
export { decodePredictions };
