// keras.applications.convnext: ConvNeXt Tiny to XLarge (Liu et al., 2022): a patchify stem, four
// stages of 7x7 depthwise blocks with layer normalisation, GELU and layer scale, downsampling
// between them in nested Sequential models, as Keras nests them. The models take raw pixels in
// [0, 255] (`includePreprocessing` normalises inside).
import { Activation } from '../layers/activations/activation.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { Dense } from '../layers/core/dense.js';
import { LayerNormalization } from '../layers/normalization/layer_normalization.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { GlobalMaxPooling2D } from '../layers/pooling/global_max_pooling2d.js';
import { Normalization } from '../layers/preprocessing/normalization.js';
import type { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import { KerasOperation } from '../saving/keras_operation.js';
import type { SymbolicTensor } from '../symbolic.js';
import { type Tensor, type TensorLike, toTensor } from '../tensor.js';
import { describeValue } from '../utils/options.js';
import { uniqueName } from '../utils/naming.js';
import { ValueError } from '../errors.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, resolveApplicationArgs } from './application_arguments.js';
import { decodePredictions } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { LayerScale } from './layer_scale.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';
import { StochasticDepth } from './stochastic_depth.js';

export interface ConvNeXtArgs extends ApplicationArgs {
  /** Normalise [0, 255] pixels by ImageNet's mean and variance inside the model [true]. */
  includePreprocessing?: boolean;
}

/** Keras' SHA-256 checksums: [with the top, without]. */
const IMAGENET_HASHES: Record<string, [string, string]> = {
  convnext_tiny: ['8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff', 'd547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1'],
  convnext_small: ['ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c', '6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab'],
  convnext_base: ['52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6', '40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45'],
  convnext_large: ['070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6', '96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd'],
  convnext_xlarge: ['c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee', 'de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05'],
};

const LAYER_SCALE_INIT_VALUE = 1e-6;
const layerNorm = (name?: string) => new LayerNormalization(name === undefined ? { epsilon: 1e-6 } : { epsilon: 1e-6, name });

/** Keras' `ConvNeXtBlock`; the residual sum is an operation node (`inputs + layer(x)`), as in Keras. */
function convNeXtBlock(inputs: SymbolicTensor, projectionDim: number, dropPathRate: number, name: string): SymbolicTensor {
  let x = call(new Conv2D({ filters: projectionDim, kernelSize: 7, padding: 'same', groups: projectionDim, name: `${name}_depthwise_conv` }), inputs);
  x = call(layerNorm(`${name}_layernorm`), x);
  x = call(new Dense(4 * projectionDim, { name: `${name}_pointwise_conv_1` }), x);
  x = call(new Activation('gelu', { name: `${name}_gelu` }), x);
  x = call(new Dense(projectionDim, { name: `${name}_pointwise_conv_2` }), x);
  x = call(new LayerScale(LAYER_SCALE_INIT_VALUE, projectionDim, { name: `${name}_layer_scale` }), x);
  x = call(dropPathRate ? new StochasticDepth(dropPathRate, { name: `${name}_stochastic_depth` }) : new Activation('linear', { name: `${name}_identity` }), x);
  return call(new KerasOperation('Add', 'keras.src.ops.numpy', [{ tensor: 0 }, { tensor: 1 }], uniqueName('add')), [inputs, x]);
}

async function ConvNeXt(builder: string, weightsName: string, depths: number[], projectionDims: number[], options: ConvNeXtArgs | undefined): Promise<Model> {
  const args = resolveApplicationArgs(builder, options, ['includePreprocessing']);
  const { includePreprocessing = true } = options ?? {};
  if (typeof includePreprocessing !== 'boolean') throw new ValueError(`${builder}: includePreprocessing must be true or false. Received: includePreprocessing=${describeValue(includePreprocessing)}`);
  const name = args.name ?? weightsName;
  const shape = obtainInputShape(builder, args, 224, 32);
  const input = imageInput(shape);
  let x = input;
  if (includePreprocessing && shape[2] === 3) {
    x = call(new Normalization({ mean: [0.485 * 255, 0.456 * 255, 0.406 * 255], variance: [(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2], name: `${name}_prestem_normalization` }), x);
  }
  const downsampling: Sequential[] = [
    new Sequential([new Conv2D({ filters: projectionDims[0], kernelSize: 4, strides: 4, name: `${name}_stem_conv` }), layerNorm(`${name}_stem_layernorm`)], { name: `${name}_stem` }),
  ];
  for (let i = 0; i < 3; i++) {
    downsampling.push(
      new Sequential([layerNorm(`${name}_downsampling_layernorm_${i}`), new Conv2D({ filters: projectionDims[i + 1], kernelSize: 2, strides: 2, name: `${name}_downsampling_conv_${i}` })], {
        name: `${name}_downsampling_block_${i}`,
      }),
    );
  }
  // drop_path_rate is 0 for every published variant, so each block's rate is 0 (Keras' linspace).
  for (let i = 0; i < 4; i++) {
    x = downsampling[i].apply(x) as SymbolicTensor;
    for (let j = 0; j < depths[i]; j++) x = convNeXtBlock(x, projectionDims[i], 0, `${name}_stage_${i}_block_${j}`);
  }
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ name: `${name}_head_gap` }), x);
    x = call(layerNorm(`${name}_head_layernorm`), x);
    x = call(new Dense(args.classes, { activation: args.classifierActivation, name: `${name}_head_dense` }), x);
  } else {
    if (args.pooling === 'avg') x = call(new GlobalAveragePooling2D(), x);
    else if (args.pooling === 'max') x = call(new GlobalMaxPooling2D(), x);
    x = call(layerNorm(), x);
  }
  return finishApplication(builder, input, x, name, args, () => {
    const file = `${name}${args.includeTop ? '.h5' : '_notop.h5'}`;
    return { name: file, url: `${KERAS_APPLICATIONS_URL}convnext/${file}`, hash: IMAGENET_HASHES[weightsName][args.includeTop ? 0 : 1] };
  });
}

const SMALL_DEPTHS = [3, 3, 27, 3];
/** Keras' `ConvNeXtTiny`. */
export const ConvNeXtTiny = (args?: ConvNeXtArgs) => ConvNeXt('ConvNeXtTiny', 'convnext_tiny', [3, 3, 9, 3], [96, 192, 384, 768], args);
/** Keras' `ConvNeXtSmall`. */
export const ConvNeXtSmall = (args?: ConvNeXtArgs) => ConvNeXt('ConvNeXtSmall', 'convnext_small', SMALL_DEPTHS, [96, 192, 384, 768], args);
/** Keras' `ConvNeXtBase`. */
export const ConvNeXtBase = (args?: ConvNeXtArgs) => ConvNeXt('ConvNeXtBase', 'convnext_base', SMALL_DEPTHS, [128, 256, 512, 1024], args);
/** Keras' `ConvNeXtLarge`. */
export const ConvNeXtLarge = (args?: ConvNeXtArgs) => ConvNeXt('ConvNeXtLarge', 'convnext_large', SMALL_DEPTHS, [192, 384, 768, 1536], args);
/** Keras' `ConvNeXtXLarge`. */
export const ConvNeXtXLarge = (args?: ConvNeXtArgs) => ConvNeXt('ConvNeXtXLarge', 'convnext_xlarge', SMALL_DEPTHS, [256, 512, 1024, 2048], args);

/** ConvNeXt preprocesses inside: its `preprocessInput` passes pixels through, as Keras'. */
export function preprocessInput(x: TensorLike): Tensor {
  return toTensor(x);
}
export { decodePredictions };
