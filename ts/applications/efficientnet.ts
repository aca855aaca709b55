// keras.applications.efficientnet: EfficientNetB0 to B7 (Tan & Le, 2019): mobile inverted
// bottlenecks with squeeze-and-excitation, scaled in width, depth and resolution. The models
// take raw pixels in [0, 255]: rescaling and ImageNet normalisation are their first layers.
import { Activation } from '../layers/activations/activation.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { DepthwiseConv2D } from '../layers/convolutional/depthwise_conv2d.js';
import { Dense } from '../layers/core/dense.js';
import { Add } from '../layers/merging/add.js';
import { Multiply } from '../layers/merging/multiply.js';
import { BatchNormalization } from '../layers/normalization/batch_normalization.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { Normalization } from '../layers/preprocessing/normalization.js';
import { Rescaling } from '../layers/preprocessing/rescaling.js';
import { Dropout } from '../layers/regularization/dropout.js';
import { Reshape } from '../layers/reshaping/reshape.js';
import { ZeroPadding2D } from '../layers/reshaping/zero_padding2d.js';
import { varianceScaling } from '../initializers.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { toTensor } from '../tensor.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { correctPad } from './family_helpers.js';

const BASE_WEIGHTS_URL = 'https://storage.googleapis.com/keras-applications/';

/** Keras' checksums: [with the top, without]. */
const IMAGENET_HASHES: Record<string, [string, string]> = {
  b0: ['902e53a9f72be733fc0bcb005b3ebbac', '50bc09e76180e00e4465e1a485ddc09d'],
  b1: ['1d254153d4ab51201f1646940f018540', '74c4e6b3e1f6a1eea24c589628592432'],
  b2: ['b15cce36ff4dcbd00b6dd88e7857a6ad', '111f8e2ac8aa800a7a99e3239f7bfb39'],
  b3: ['ffd1fdc53d0ce67064dc6a9c7960ede0', 'af6d107764bb5b1abb91932881670226'],
  b4: ['18c95ad55216b8f92d7e70b3a046e2fc', 'ebc24e6d6c33eaebbd558eafbeedf1ba'],
  b5: ['ace28f2a6363774853a83a0b21b9421a', '38879255a25d3c92d5e44e04ae6cec6f'],
  b6: ['165f6e37dce68623721b423839de8be5', '9ecce42647a20130c1f39a5d4cb75743'],
  b7: ['8c03f828fec3ef71311cd463b6759d99', 'cbcfe4450ddf6f3ad90b1b398090fe4a'],
};

/** Keras' stage table: kernel, repeats, filters in and out, expansion, stride (all with SE ratio 0.25). */
const DEFAULT_BLOCKS: [number, number, number, number, number, number][] = [
  [3, 1, 32, 16, 1, 1],
  [3, 2, 16, 24, 6, 2],
  [5, 2, 24, 40, 6, 2],
  [3, 3, 40, 80, 6, 2],
  [5, 3, 80, 112, 6, 1],
  [5, 4, 112, 192, 6, 2],
  [3, 1, 192, 320, 6, 1],
];
const SE_RATIO = 0.25;
const DROP_CONNECT_RATE = 0.2;

const CONV_KERNEL_INITIALIZER = varianceScaling(2, 'fan_out', 'truncated_normal');
const DENSE_KERNEL_INITIALIZER = varianceScaling(1 / 3, 'fan_out', 'uniform');
const IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225];

const batchNorm = (name: string) => new BatchNormalization({ axis: 3, name });

/** Keras' `block`: expansion, depthwise convolution, squeeze-and-excitation, projection, skip. */
function block(inputs: SymbolicTensor, dropRate: number, name: string, filtersIn: number, filtersOut: number, kernelSize: number, strides: number, expandRatio: number): SymbolicTensor {
  const filters = filtersIn * expandRatio;
  let x = inputs;
  if (expandRatio !== 1) {
    x = call(new Conv2D({ filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: CONV_KERNEL_INITIALIZER, name: `${name}expand_conv` }), x);
    x = call(batchNorm(`${name}expand_bn`), x);
    x = call(new Activation('swish', { name: `${name}expand_activation` }), x);
  }
  if (strides === 2) x = call(new ZeroPadding2D({ padding: correctPad(x, kernelSize), name: `${name}dwconv_pad` }), x);
  x = call(new DepthwiseConv2D({ kernelSize, strides, padding: strides === 2 ? 'valid' : 'same', useBias: false, depthwiseInitializer: CONV_KERNEL_INITIALIZER, name: `${name}dwconv` }), x);
  x = call(batchNorm(`${name}bn`), x);
  x = call(new Activation('swish', { name: `${name}activation` }), x);
  const filtersSe = Math.max(1, Math.trunc(filtersIn * SE_RATIO));
  let se = call(new GlobalAveragePooling2D({ name: `${name}se_squeeze` }), x);
  se = call(new Reshape([1, 1, filters], { name: `${name}se_reshape` }), se);
  se = call(new Conv2D({ filters: filtersSe, kernelSize: 1, padding: 'same', activation: 'swish', kernelInitializer: CONV_KERNEL_INITIALIZER, name: `${name}se_reduce` }), se);
  se = call(new Conv2D({ filters, kernelSize: 1, padding: 'same', activation: 'sigmoid', kernelInitializer: CONV_KERNEL_INITIALIZER, name: `${name}se_expand` }), se);
  x = call(new Multiply({ name: `${name}se_excite` }), [x, se]);
  x = call(new Conv2D({ filters: filtersOut, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: CONV_KERNEL_INITIALIZER, name: `${name}project_conv` }), x);
  x = call(batchNorm(`${name}project_bn`), x);
  if (strides === 1 && filtersIn === filtersOut) {
    if (dropRate > 0) x = call(new Dropout(dropRate, { noiseShape: [null, 1, 1, 1], name: `${name}drop` }), x);
    x = call(new Add({ name: `${name}add` }), [x, inputs]);
  }
  return x;
}

async function EfficientNet(
  builder: string,
  variant: string,
  widthCoefficient: number,
  depthCoefficient: number,
  defaultSize: number,
  dropoutRate: number,
  options: ApplicationArgs | undefined,
): Promise<Model> {
  const args = resolveApplicationArgs(builder, options);
  const roundFilters = (filters: number, divisor = 8) => {
    filters *= widthCoefficient;
    let rounded = Math.max(divisor, Math.trunc(Math.trunc(filters + divisor / 2) / divisor) * divisor);
    if (rounded < 0.9 * filters) rounded += divisor;
    return rounded;
  };
  const roundRepeats = (repeats: number) => Math.ceil(depthCoefficient * repeats);
  const input = imageInput(obtainInputShape(builder, args, defaultSize, 32));
  let x = call(new Rescaling(1 / 255), input);
  x = call(new Normalization({ axis: 3 }), x);
  // Keras' published weights hold the variance, not the standard deviation: it divides again.
  if (args.weights === 'imagenet') x = call(new Rescaling(IMAGENET_STDDEV_RGB.map((s) => 1 / Math.sqrt(s))), x);
  x = call(new ZeroPadding2D({ padding: correctPad(x, 3), name: 'stem_conv_pad' }), x);
  x = call(new Conv2D({ filters: roundFilters(32), kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: CONV_KERNEL_INITIALIZER, name: 'stem_conv' }), x);
  x = call(batchNorm('stem_bn'), x);
  x = call(new Activation('swish', { name: 'stem_activation' }), x);
  const total = DEFAULT_BLOCKS.reduce((sum, stage) => sum + roundRepeats(stage[1]), 0);
  let b = 0;
  DEFAULT_BLOCKS.forEach(([kernelSize, repeats, filtersIn, filtersOut, expandRatio, strides], i) => {
    const stageIn = roundFilters(filtersIn);
    const stageOut = roundFilters(filtersOut);
    for (let j = 0; j < roundRepeats(repeats); j++) {
      x = block(x, (DROP_CONNECT_RATE * b) / total, `block${i + 1}${String.fromCharCode(97 + j)}_`, j > 0 ? stageOut : stageIn, stageOut, kernelSize, j > 0 ? 1 : strides, expandRatio);
      b += 1;
    }
  });
  x = call(new Conv2D({ filters: roundFilters(1280), kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: CONV_KERNEL_INITIALIZER, name: 'top_conv' }), x);
  x = call(batchNorm('top_bn'), x);
  x = call(new Activation('swish', { name: 'top_activation' }), x);
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ name: 'avg_pool' }), x);
    if (dropoutRate > 0) x = call(new Dropout(dropoutRate, { name: 'top_dropout' }), x);
    x = call(new Dense(args.classes, { activation: args.classifierActivation, kernelInitializer: DENSE_KERNEL_INITIALIZER, name: 'predictions' }), x);
  } else {
    x = poolingTop(x, args.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  const name = args.name ?? `efficientnet${variant}`;
  return finishApplication(builder, input, x, name, args, () => {
    const file = `${name}${args.includeTop ? '.h5' : '_notop.h5'}`;
    return { name: file, url: `${BASE_WEIGHTS_URL}${file}`, hash: IMAGENET_HASHES[variant][args.includeTop ? 0 : 1] };
  });
}

/** Keras' `EfficientNetB0` (224x224). */
export const EfficientNetB0 = (args?: ApplicationArgs) => EfficientNet('EfficientNetB0', 'b0', 1.0, 1.0, 224, 0.2, args);
/** Keras' `EfficientNetB1` (240x240). */
export const EfficientNetB1 = (args?: ApplicationArgs) => EfficientNet('EfficientNetB1', 'b1', 1.0, 1.1, 240, 0.2, args);
/** Keras' `EfficientNetB2` (260x260). */
export const EfficientNetB2 = (args?: ApplicationArgs) => EfficientNet('EfficientNetB2', 'b2', 1.1, 1.2, 260, 0.3, args);
/** Keras' `EfficientNetB3` (300x300). */
export const EfficientNetB3 = (args?: ApplicationArgs) => EfficientNet('EfficientNetB3', 'b3', 1.2, 1.4, 300, 0.3, args);
/** Keras' `EfficientNetB4` (380x380). */
export const EfficientNetB4 = (args?: ApplicationArgs) => EfficientNet('EfficientNetB4', 'b4', 1.4, 1.8, 380, 0.4, args);
/** Keras' `EfficientNetB5` (456x456). */
export const EfficientNetB5 = (args?: ApplicationArgs) => EfficientNet('EfficientNetB5', 'b5', 1.6, 2.2, 456, 0.4, args);
/** Keras' `EfficientNetB6` (528x528). */
export const EfficientNetB6 = (args?: ApplicationArgs) => EfficientNet('EfficientNetB6', 'b6', 1.8, 2.6, 528, 0.5, args);
/** Keras' `EfficientNetB7` (600x600). */
export const EfficientNetB7 = (args?: ApplicationArgs) => EfficientNet('EfficientNetB7', 'b7', 2.0, 3.1, 600, 0.5, args);

/** EfficientNet's models preprocess inside: its `preprocessInput` passes pixels through, as Keras'. */
export function preprocessInput(x: TensorLike): Tensor {
  return toTensor(x);
}
export { decodePredictions };
