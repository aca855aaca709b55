// keras.applications.mobilenet_v3: MobileNetV3Small and MobileNetV3Large (Howard et al., 2019):
// inverted residual blocks with squeeze-and-excitation and hard-swish, found by architecture
// search. The models take raw pixels in [0, 255] (`includePreprocessing` rescales inside).
import { ValueError } from '../errors.js';
import { Activation } from '../layers/activations/activation.js';
import { ReLU } from '../layers/activations/relu.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { DepthwiseConv2D } from '../layers/convolutional/depthwise_conv2d.js';
import { Add } from '../layers/merging/add.js';
import { Multiply } from '../layers/merging/multiply.js';
import { BatchNormalization } from '../layers/normalization/batch_normalization.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { Rescaling } from '../layers/preprocessing/rescaling.js';
import { Dropout } from '../layers/regularization/dropout.js';
import { Flatten } from '../layers/reshaping/flatten.js';
import { ZeroPadding2D } from '../layers/reshaping/zero_padding2d.js';
import type { Model } from '../models/model.js';
import { KerasOperation } from '../saving/keras_operation.js';
import type { SymbolicTensor } from '../symbolic.js';
import { type Tensor, type TensorLike, toTensor } from '../tensor.js';
import { describeValue } from '../utils/options.js';
import { uniqueName } from '../utils/naming.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { correctPad, makeDivisible } from './family_helpers.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

export interface MobileNetV3Args extends ApplicationArgs {
  /** The width multiplier [1.0]. */
  alpha?: number;
  /** ReLU and 3x3 kernels everywhere, no squeeze-and-excitation [false]. */
  minimalistic?: boolean;
  /** The dropout rate before the classifier [0.2]. */
  dropoutRate?: number;
  /** Rescale [0, 255] pixels to [-1, 1] inside the model [true]. */
  includePreprocessing?: boolean;
}

/** Keras' checksums: [with the top, without]. */
const IMAGENET_HASHES: Record<string, [string, string]> = {
  'large_224_0.75_float': ['765b44a33ad4005b3ac83185abf1d0eb', '40af19a13ebea4e2ee0c676887f69a2e'],
  'large_224_1.0_float': ['59e551e166be033d707958cf9e29a6a7', '07fb09a5933dd0c8eaafa16978110389'],
  'large_minimalistic_224_1.0_float': ['675e7b876c45c57e9e63e6d90a36599c', 'ec5221f64a2f6d1ef965a614bdae7973'],
  'small_224_0.75_float': ['cb65d4e5be93758266aa0a7f2c6708b7', 'ebdb5cc8e0b497cd13a7c275d475c819'],
  'small_224_1.0_float': ['8768d4c2e7dee89b9d02b2d03d65d862', 'd3e8ec802a04aa4fc771ee12a9a9b836'],
  'small_minimalistic_224_1.0_float': ['99cd97fb2fcdad2bf028eb838de69e37', 'cde8136e733e811080d9fcd8a252f7e4'],
};

type ActivationFn = (x: SymbolicTensor) => SymbolicTensor;
const relu: ActivationFn = (x) => call(new ReLU(), x);
const hardSwish: ActivationFn = (x) => call(new Activation('hard_swish'), x);

/** A Keras operation node (`x + 3.0`), as Keras' functional graph records arithmetic on symbolic tensors. */
function operation(kind: 'Add' | 'Multiply', x: SymbolicTensor, value: number): SymbolicTensor {
  return call(new KerasOperation(kind, 'keras.src.ops.numpy', [{ tensor: 0 }, value], uniqueName(kind.toLowerCase())), x);
}

/** Keras' `hard_sigmoid` here: `ReLU(6)(x + 3) * (1 / 6)`. */
function hardSigmoid(x: SymbolicTensor): SymbolicTensor {
  return operation('Multiply', call(new ReLU(6), operation('Add', x, 3)), 1 / 6);
}

const batchNorm = (name: string) => new BatchNormalization({ axis: -1, epsilon: 1e-3, momentum: 0.999, name });

function seBlock(inputs: SymbolicTensor, filters: number, seRatio: number, prefix: string): SymbolicTensor {
  let x = call(new GlobalAveragePooling2D({ keepdims: true, name: `${prefix}squeeze_excite_avg_pool` }), inputs);
  x = call(new Conv2D({ filters: makeDivisible(filters * seRatio, 8), kernelSize: 1, padding: 'same', name: `${prefix}squeeze_excite_conv` }), x);
  x = call(new ReLU(null, { name: `${prefix}squeeze_excite_relu` }), x);
  x = call(new Conv2D({ filters, kernelSize: 1, padding: 'same', name: `${prefix}squeeze_excite_conv_1` }), x);
  x = hardSigmoid(x);
  return call(new Multiply({ name: `${prefix}squeeze_excite_mul` }), [inputs, x]);
}

function invertedResBlock(
  x: SymbolicTensor,
  expansion: number,
  filters: number,
  kernelSize: number,
  stride: number,
  seRatio: number | null,
  activation: ActivationFn,
  blockId: number,
): SymbolicTensor {
  const shortcut = x;
  const inFilters = x.shape[x.shape.length - 1] as number;
  let prefix = 'expanded_conv_';
  if (blockId) {
    prefix = `expanded_conv_${blockId}_`;
    x = call(new Conv2D({ filters: makeDivisible(inFilters * expansion, 8), kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}expand` }), x);
    x = call(batchNorm(`${prefix}expand_bn`), x);
    x = activation(x);
  }
  if (stride === 2) x = call(new ZeroPadding2D({ padding: correctPad(x, kernelSize), name: `${prefix}depthwise_pad` }), x);
  x = call(new DepthwiseConv2D({ kernelSize, strides: stride, padding: stride === 1 ? 'same' : 'valid', useBias: false, name: `${prefix}depthwise` }), x);
  x = call(batchNorm(`${prefix}depthwise_bn`), x);
  x = activation(x);
  if (seRatio) x = seBlock(x, makeDivisible(inFilters * expansion, 8), seRatio, prefix);
  x = call(new Conv2D({ filters, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}project` }), x);
  x = call(batchNorm(`${prefix}project_bn`), x);
  if (stride === 1 && inFilters === filters) x = call(new Add({ name: `${prefix}add` }), [shortcut, x]);
  return x;
}

/** One block of a stack: expansion, output filters (before alpha), kernel ('k': the variant's), stride, SE, activation ('a': the variant's). */
type BlockSpec = [number, number, 3 | 'k', 1 | 2, boolean, 'relu' | 'a'];

const SMALL_BLOCKS: BlockSpec[] = [
  [1, 16, 3, 2, true, 'relu'],
  [72 / 16, 24, 3, 2, false, 'relu'],
  [88 / 24, 24, 3, 1, false, 'relu'],
  [4, 40, 'k', 2, true, 'a'],
  [6, 40, 'k', 1, true, 'a'],
  [6, 40, 'k', 1, true, 'a'],
  [3, 48, 'k', 1, true, 'a'],
  [3, 48, 'k', 1, true, 'a'],
  [6, 96, 'k', 2, true, 'a'],
  [6, 96, 'k', 1, true, 'a'],
  [6, 96, 'k', 1, true, 'a'],
];
const LARGE_BLOCKS: BlockSpec[] = [
  [1, 16, 3, 1, false, 'relu'],
  [4, 24, 3, 2, false, 'relu'],
  [3, 24, 3, 1, false, 'relu'],
  [3, 40, 'k', 2, true, 'relu'],
  [3, 40, 'k', 1, true, 'relu'],
  [3, 40, 'k', 1, true, 'relu'],
  [6, 80, 3, 2, false, 'a'],
  [2.5, 80, 3, 1, false, 'a'],
  [2.3, 80, 3, 1, false, 'a'],
  [2.3, 80, 3, 1, false, 'a'],
  [6, 112, 3, 1, true, 'a'],
  [6, 112, 3, 1, true, 'a'],
  [6, 160, 'k', 2, true, 'a'],
  [6, 160, 'k', 1, true, 'a'],
  [6, 160, 'k', 1, true, 'a'],
];

const FAMILY_OPTIONS = ['alpha', 'minimalistic', 'dropoutRate', 'includePreprocessing'];

async function MobileNetV3(builder: string, modelType: 'small' | 'large', blocks: BlockSpec[], lastPointChannels: number, options: MobileNetV3Args | undefined): Promise<Model> {
  const args = resolveApplicationArgs(builder, options, FAMILY_OPTIONS);
  const { alpha = 1.0, minimalistic = false, dropoutRate = 0.2, includePreprocessing = true } = options ?? {};
  if (typeof alpha !== 'number' || !(alpha > 0)) throw new ValueError(`${builder}: alpha must be a positive number. Received: alpha=${describeValue(alpha)}`);
  for (const [key, value] of [
    ['minimalistic', minimalistic],
    ['includePreprocessing', includePreprocessing],
  ] as const) {
    if (typeof value !== 'boolean') throw new ValueError(`${builder}: ${key} must be true or false. Received: ${key}=${describeValue(value)}`);
  }
  if (typeof dropoutRate !== 'number' || !(dropoutRate >= 0 && dropoutRate < 1)) throw new ValueError(`${builder}: dropoutRate must be in [0, 1). Received: dropoutRate=${describeValue(dropoutRate)}`);
  const shape = obtainInputShape(builder, args, 224, 32);
  if (args.weights === 'imagenet') {
    if ((!minimalistic && alpha !== 0.75 && alpha !== 1.0) || (minimalistic && alpha !== 1.0)) {
      throw new ValueError(`${builder}: If imagenet weights are being loaded, alpha can be one of \`0.75\`, \`1.0\` for non minimalistic or \`1.0\` for minimalistic only. Received: alpha=${alpha}`);
    }
    if (shape[0] !== shape[1] || shape[0] !== 224)
      process.emitWarning(`${builder}: \`inputShape\` is undefined or non-square, or \`rows\` is not 224. Weights for input shape (224, 224) will be loaded as the default.`);
  }
  const [kernel, activation, seRatio]: [number, ActivationFn, number | null] = minimalistic ? [3, relu, null] : [5, hardSwish, 0.25];
  const input = imageInput(shape);
  let x = input;
  if (includePreprocessing) x = call(new Rescaling({ scale: 1 / 127.5, offset: -1 }), x);
  x = call(new Conv2D({ filters: 16, kernelSize: 3, strides: [2, 2], padding: 'same', useBias: false, name: 'conv' }), x);
  x = call(batchNorm('conv_bn'), x);
  x = activation(x);
  blocks.forEach(([expansion, filters, kernelSize, stride, se, blockActivation], blockId) => {
    x = invertedResBlock(
      x,
      expansion,
      makeDivisible(filters * alpha, 8),
      kernelSize === 'k' ? kernel : kernelSize,
      stride,
      se ? seRatio : null,
      blockActivation === 'relu' ? relu : activation,
      blockId,
    );
  });
  const lastConvChannels = makeDivisible((x.shape[3] as number) * 6, 8);
  const lastPoint = alpha > 1.0 ? makeDivisible(lastPointChannels * alpha, 8) : lastPointChannels;
  x = call(new Conv2D({ filters: lastConvChannels, kernelSize: 1, padding: 'same', useBias: false, name: 'conv_1' }), x);
  x = call(batchNorm('conv_1_bn'), x);
  x = activation(x);
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ keepdims: true }), x);
    x = call(new Conv2D({ filters: lastPoint, kernelSize: 1, padding: 'same', useBias: true, name: 'conv_2' }), x);
    x = activation(x);
    if (dropoutRate > 0) x = call(new Dropout(dropoutRate), x);
    x = call(new Conv2D({ filters: args.classes, kernelSize: 1, padding: 'same', name: 'logits' }), x);
    x = call(new Flatten(), x);
    x = call(new Activation(args.classifierActivation, { name: 'predictions' }), x);
  } else {
    x = poolingTop(x, args.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  return finishApplication(builder, input, x, args.name ?? builder, args, () => {
    // Python's str(alpha): '1.0', '0.75'.
    const modelName = `${modelType}${minimalistic ? '_minimalistic' : ''}_224_${Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha)}_float`;
    const file = `weights_mobilenet_v3_${modelName}${args.includeTop ? '.h5' : '_no_top_v2.h5'}`;
    return { name: file, url: `${KERAS_APPLICATIONS_URL}mobilenet_v3/${file}`, hash: IMAGENET_HASHES[modelName][args.includeTop ? 0 : 1] };
  });
}

/** Keras' `MobileNetV3Small`. */
export function MobileNetV3Small(args?: MobileNetV3Args): Promise<Model> {
  return MobileNetV3('MobileNetV3Small', 'small', SMALL_BLOCKS, 1024, args);
}

/** Keras' `MobileNetV3Large`. */
export function MobileNetV3Large(args?: MobileNetV3Args): Promise<Model> {
  return MobileNetV3('MobileNetV3Large', 'large', LARGE_BLOCKS, 1280, args);
}

/** MobileNetV3 preprocesses inside: its `preprocessInput` passes pixels through, as Keras'. */
export function preprocessInput(x: TensorLike): Tensor {
  return toTensor(x);
}
export { decodePredictions };
