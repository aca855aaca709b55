// keras.applications.efficientnet_v2: EfficientNetV2 B0 to B3, S, M and L (Tan & Le, 2021):
// fused and depthwise MBConv blocks. The models take raw pixels in [0, 255]
// (`includePreprocessing` rescales, and for B0-B3 normalises, inside).
import { ValueError } from '../errors.js';
import { varianceScaling } from '../initializers.js';
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
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import { type Tensor, type TensorLike, toTensor } from '../tensor.js';
import { describeValue } from '../utils/options.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

export interface EfficientNetV2Args extends ApplicationArgs {
  /** Rescale (and for B0-B3 normalise) [0, 255] pixels inside the model [true]. */
  includePreprocessing?: boolean;
}

type Variant = '-b0' | '-b1' | '-b2' | '-b3' | '-s' | '-m' | '-l';
type BlockArgs = [0 | 1, number, number, number, number, number, number, number];

/** Keras' DEFAULT_BLOCKS_ARGS, by variant: [conv type (1: fused), repeats, kernel, filters in, filters out, expansion, SE ratio, stride]. */
const BLOCKS: Record<Variant, BlockArgs[]> = {
  '-s': [
    [1, 2, 3, 24, 24, 1, 0, 1],
    [1, 4, 3, 24, 48, 4, 0, 2],
    [1, 4, 3, 48, 64, 4, 0, 2],
    [0, 6, 3, 64, 128, 4, 0.25, 2],
    [0, 9, 3, 128, 160, 6, 0.25, 1],
    [0, 15, 3, 160, 256, 6, 0.25, 2],
  ],
  '-m': [
    [1, 3, 3, 24, 24, 1, 0, 1],
    [1, 5, 3, 24, 48, 4, 0, 2],
    [1, 5, 3, 48, 80, 4, 0, 2],
    [0, 7, 3, 80, 160, 4, 0.25, 2],
    [0, 14, 3, 160, 176, 6, 0.25, 1],
    [0, 18, 3, 176, 304, 6, 0.25, 2],
    [0, 5, 3, 304, 512, 6, 0.25, 1],
  ],
  '-l': [
    [1, 4, 3, 32, 32, 1, 0, 1],
    [1, 7, 3, 32, 64, 4, 0, 2],
    [1, 7, 3, 64, 96, 4, 0, 2],
    [0, 10, 3, 96, 192, 4, 0.25, 2],
    [0, 19, 3, 192, 224, 6, 0.25, 1],
    [0, 25, 3, 224, 384, 6, 0.25, 2],
    [0, 7, 3, 384, 640, 6, 0.25, 1],
  ],
  '-b0': [
    [1, 1, 3, 32, 16, 1, 0, 1],
    [1, 2, 3, 16, 32, 4, 0, 2],
    [1, 2, 3, 32, 48, 4, 0, 2],
    [0, 3, 3, 48, 96, 4, 0.25, 2],
    [0, 5, 3, 96, 112, 6, 0.25, 1],
    [0, 8, 3, 112, 192, 6, 0.25, 2],
  ],
  '-b1': [
    [1, 1, 3, 32, 16, 1, 0, 1],
    [1, 2, 3, 16, 32, 4, 0, 2],
    [1, 2, 3, 32, 48, 4, 0, 2],
    [0, 3, 3, 48, 96, 4, 0.25, 2],
    [0, 5, 3, 96, 112, 6, 0.25, 1],
    [0, 8, 3, 112, 192, 6, 0.25, 2],
  ],
  '-b2': [
    [1, 1, 3, 32, 16, 1, 0, 1],
    [1, 2, 3, 16, 32, 4, 0, 2],
    [1, 2, 3, 32, 48, 4, 0, 2],
    [0, 3, 3, 48, 96, 4, 0.25, 2],
    [0, 5, 3, 96, 112, 6, 0.25, 1],
    [0, 8, 3, 112, 192, 6, 0.25, 2],
  ],
  '-b3': [
    [1, 1, 3, 32, 16, 1, 0, 1],
    [1, 2, 3, 16, 32, 4, 0, 2],
    [1, 2, 3, 32, 48, 4, 0, 2],
    [0, 3, 3, 48, 96, 4, 0.25, 2],
    [0, 5, 3, 96, 112, 6, 0.25, 1],
    [0, 8, 3, 112, 192, 6, 0.25, 2],
  ],
};

/** Keras' checksums: [with the top, without]. */
const IMAGENET_HASHES: Record<Variant, [string, string]> = {
  '-b0': ['21ecbf6da12460d5c40bb2f29ceb2188', '893217f2bb855e2983157299931e43ff'],
  '-b1': ['069f0534ff22adf035c89e2d9547a9dc', '0e80663031ca32d657f9caa404b6ec37'],
  '-b2': ['424e49f28180edbde1e94797771950a7', '1dfe2e7a5d45b6632553a8961ea609eb'],
  '-b3': ['1f1fc43bd98a6e4fd8fdfd551e02c7a0', 'f6abf7b5849ac99a89b50dd3fd532856'],
  '-s': ['e1d88a8495beba45748fedd0cecbe016', 'af0682fb74e8c54910f2d4393339c070'],
  '-m': ['a3bf6aa3276309f4fc6a34aa114c95cd', '1b8dc055df72dde80d614482840fe342'],
  '-l': ['27e6d408b53c7ebc868fefa357689935', 'b0b66b5c863aef5b46e8608fe1711615'],
};

const CONV_KERNEL_INITIALIZER = varianceScaling(2, 'fan_out', 'truncated_normal');
const DENSE_KERNEL_INITIALIZER = varianceScaling(1 / 3, 'fan_out', 'uniform');
const BN_MOMENTUM = 0.9;
const DROP_CONNECT_RATE = 0.2;
const DROPOUT_RATE = 0.2;

const batchNorm = (name: string) => new BatchNormalization({ axis: 3, momentum: BN_MOMENTUM, name });
const swish = (name: string) => new Activation('swish', { name });

/** Keras' `round_filters` (EfficientNetV2's: no 90% rule). */
function roundFilters(filters: number, widthCoefficient: number, divisor = 8): number {
  filters *= widthCoefficient;
  return Math.max(divisor, Math.trunc(Math.trunc(filters + divisor / 2) / divisor) * divisor);
}

function squeezeExcite(x: SymbolicTensor, filters: number, inputFilters: number, seRatio: number, name: string): SymbolicTensor {
  const filtersSe = Math.max(1, Math.trunc(inputFilters * seRatio));
  let se = call(new GlobalAveragePooling2D({ name: `${name}se_squeeze` }), x);
  se = call(new Reshape([1, 1, filters], { name: `${name}se_reshape` }), se);
  se = call(new Conv2D({ filters: filtersSe, kernelSize: 1, padding: 'same', activation: 'swish', kernelInitializer: CONV_KERNEL_INITIALIZER, name: `${name}se_reduce` }), se);
  se = call(new Conv2D({ filters, kernelSize: 1, padding: 'same', activation: 'sigmoid', kernelInitializer: CONV_KERNEL_INITIALIZER, name: `${name}se_expand` }), se);
  return call(new Multiply({ name: `${name}se_excite` }), [x, se]);
}

/** The residual end of both blocks; Keras uses the block's survival probability as a dropout rate. */
function residual(x: SymbolicTensor, inputs: SymbolicTensor, survivalProbability: number, name: string): SymbolicTensor {
  if (survivalProbability) x = call(new Dropout(survivalProbability, { noiseShape: [null, 1, 1, 1], name: `${name}drop` }), x);
  return call(new Add({ name: `${name}add` }), [x, inputs]);
}

/** Keras' `MBConvBlock`. */
function mbConvBlock(
  inputs: SymbolicTensor,
  inputFilters: number,
  outputFilters: number,
  expandRatio: number,
  kernelSize: number,
  strides: number,
  seRatio: number,
  survivalProbability: number,
  name: string,
): SymbolicTensor {
  const filters = inputFilters * expandRatio;
  let x = inputs;
  if (expandRatio !== 1) {
    x = call(new Conv2D({ filters, kernelSize: 1, strides: 1, kernelInitializer: CONV_KERNEL_INITIALIZER, padding: 'same', useBias: false, name: `${name}expand_conv` }), x);
    x = call(batchNorm(`${name}expand_bn`), x);
    x = call(swish(`${name}expand_activation`), x);
  }
  x = call(new DepthwiseConv2D({ kernelSize, strides, depthwiseInitializer: CONV_KERNEL_INITIALIZER, padding: 'same', useBias: false, name: `${name}dwconv2` }), x);
  x = call(batchNorm(`${name}bn`), x);
  x = call(swish(`${name}activation`), x);
  if (seRatio > 0 && seRatio <= 1) x = squeezeExcite(x, filters, inputFilters, seRatio, name);
  x = call(new Conv2D({ filters: outputFilters, kernelSize: 1, strides: 1, kernelInitializer: CONV_KERNEL_INITIALIZER, padding: 'same', useBias: false, name: `${name}project_conv` }), x);
  x = call(batchNorm(`${name}project_bn`), x);
  return strides === 1 && inputFilters === outputFilters ? residual(x, inputs, survivalProbability, name) : x;
}

/** Keras' `FusedMBConvBlock`: the expansion is a full convolution, no depthwise step. */
function fusedMbConvBlock(
  inputs: SymbolicTensor,
  inputFilters: number,
  outputFilters: number,
  expandRatio: number,
  kernelSize: number,
  strides: number,
  seRatio: number,
  survivalProbability: number,
  name: string,
): SymbolicTensor {
  const filters = inputFilters * expandRatio;
  let x = inputs;
  if (expandRatio !== 1) {
    x = call(new Conv2D({ filters, kernelSize, strides, kernelInitializer: CONV_KERNEL_INITIALIZER, padding: 'same', useBias: false, name: `${name}expand_conv` }), x);
    x = call(batchNorm(`${name}expand_bn`), x);
    x = call(swish(`${name}expand_activation`), x);
  }
  if (seRatio > 0 && seRatio <= 1) x = squeezeExcite(x, filters, inputFilters, seRatio, name);
  const expanded = expandRatio !== 1;
  x = call(
    new Conv2D({
      filters: outputFilters,
      kernelSize: expanded ? 1 : kernelSize,
      strides: expanded ? 1 : strides,
      kernelInitializer: CONV_KERNEL_INITIALIZER,
      padding: 'same',
      useBias: false,
      name: `${name}project_conv`,
    }),
    x,
  );
  x = call(batchNorm(`${name}project_bn`), x);
  if (!expanded) x = call(swish(`${name}project_activation`), x);
  return strides === 1 && inputFilters === outputFilters ? residual(x, inputs, survivalProbability, name) : x;
}

async function EfficientNetV2(builder: string, variant: Variant, widthCoefficient: number, depthCoefficient: number, defaultSize: number, options: EfficientNetV2Args | undefined): Promise<Model> {
  const args = resolveApplicationArgs(builder, options, ['includePreprocessing']);
  const { includePreprocessing = true } = options ?? {};
  if (typeof includePreprocessing !== 'boolean') throw new ValueError(`${builder}: includePreprocessing must be true or false. Received: includePreprocessing=${describeValue(includePreprocessing)}`);
  const shape = obtainInputShape(builder, args, defaultSize, 32);
  const input = imageInput(shape);
  let x = input;
  if (includePreprocessing) {
    // Keras decides by the model's name ('-b...'); kiln by the variant, so a renamed model keeps it.
    if (variant.startsWith('-b') && shape[2] === 3) {
      x = call(new Rescaling(1 / 255), x);
      x = call(new Normalization({ mean: [0.485, 0.456, 0.406], variance: [0.229 ** 2, 0.224 ** 2, 0.225 ** 2], axis: 3 }), x);
    } else {
      x = call(new Rescaling({ scale: 1 / 128, offset: -1 }), x);
    }
  }
  const blocks = BLOCKS[variant];
  x = call(
    new Conv2D({ filters: roundFilters(blocks[0][3], widthCoefficient), kernelSize: 3, strides: 2, kernelInitializer: CONV_KERNEL_INITIALIZER, padding: 'same', useBias: false, name: 'stem_conv' }),
    x,
  );
  x = call(batchNorm('stem_bn'), x);
  x = call(swish('stem_activation'), x);
  const total = blocks.reduce((sum, block) => sum + block[1], 0);
  let b = 0;
  blocks.forEach(([convType, repeats, kernelSize, filtersIn, filtersOut, expandRatio, seRatio, strides], i) => {
    const stageIn = roundFilters(filtersIn, widthCoefficient);
    const stageOut = roundFilters(filtersOut, widthCoefficient);
    const block = convType === 1 ? fusedMbConvBlock : mbConvBlock;
    for (let j = 0; j < Math.ceil(depthCoefficient * repeats); j++) {
      x = block(x, j > 0 ? stageOut : stageIn, stageOut, expandRatio, kernelSize, j > 0 ? 1 : strides, seRatio, (DROP_CONNECT_RATE * b) / total, `block${i + 1}${String.fromCharCode(97 + j)}_`);
      b += 1;
    }
  });
  x = call(new Conv2D({ filters: roundFilters(1280, widthCoefficient), kernelSize: 1, strides: 1, kernelInitializer: CONV_KERNEL_INITIALIZER, padding: 'same', useBias: false, name: 'top_conv' }), x);
  x = call(batchNorm('top_bn'), x);
  x = call(swish('top_activation'), x);
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ name: 'avg_pool' }), x);
    x = call(new Dropout(DROPOUT_RATE, { name: 'top_dropout' }), x);
    x = call(new Dense(args.classes, { activation: args.classifierActivation, kernelInitializer: DENSE_KERNEL_INITIALIZER, biasInitializer: 'zeros', name: 'predictions' }), x);
  } else {
    x = poolingTop(x, args.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  const name = args.name ?? `efficientnetv2${variant}`;
  return finishApplication(builder, input, x, name, args, () => {
    const file = `${name}${args.includeTop ? '.h5' : '_notop.h5'}`;
    return { name: file, url: `${KERAS_APPLICATIONS_URL}efficientnet_v2/${file}`, hash: IMAGENET_HASHES[variant][args.includeTop ? 0 : 1] };
  });
}

/** Keras' `EfficientNetV2B0` (224x224). */
export const EfficientNetV2B0 = (args?: EfficientNetV2Args) => EfficientNetV2('EfficientNetV2B0', '-b0', 1.0, 1.0, 224, args);
/** Keras' `EfficientNetV2B1` (240x240). */
export const EfficientNetV2B1 = (args?: EfficientNetV2Args) => EfficientNetV2('EfficientNetV2B1', '-b1', 1.0, 1.1, 240, args);
/** Keras' `EfficientNetV2B2` (260x260). */
export const EfficientNetV2B2 = (args?: EfficientNetV2Args) => EfficientNetV2('EfficientNetV2B2', '-b2', 1.1, 1.2, 260, args);
/** Keras' `EfficientNetV2B3` (300x300). */
export const EfficientNetV2B3 = (args?: EfficientNetV2Args) => EfficientNetV2('EfficientNetV2B3', '-b3', 1.2, 1.4, 300, args);
/** Keras' `EfficientNetV2S` (384x384). */
export const EfficientNetV2S = (args?: EfficientNetV2Args) => EfficientNetV2('EfficientNetV2S', '-s', 1.0, 1.0, 384, args);
/** Keras' `EfficientNetV2M` (480x480). */
export const EfficientNetV2M = (args?: EfficientNetV2Args) => EfficientNetV2('EfficientNetV2M', '-m', 1.0, 1.0, 480, args);
/** Keras' `EfficientNetV2L` (480x480). */
export const EfficientNetV2L = (args?: EfficientNetV2Args) => EfficientNetV2('EfficientNetV2L', '-l', 1.0, 1.0, 480, args);

/** EfficientNetV2 preprocesses inside: its `preprocessInput` passes pixels through, as Keras'. */
export function preprocessInput(x: TensorLike): Tensor {
  return toTensor(x);
}
export { decodePredictions };
