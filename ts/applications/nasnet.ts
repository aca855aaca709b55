// keras.applications.nasnet: NASNetMobile and NASNetLarge (Zoph et al., 2018): normal and
// reduction cells found by architecture search, each fed by the two cells before it.
import { ValueError } from '../errors.js';
import { Activation } from '../layers/activations/activation.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { SeparableConv2D } from '../layers/convolutional/separable_conv2d.js';
import { Dense } from '../layers/core/dense.js';
import { Add } from '../layers/merging/add.js';
import { Concatenate } from '../layers/merging/concatenate.js';
import { BatchNormalization } from '../layers/normalization/batch_normalization.js';
import { AveragePooling2D } from '../layers/pooling/average_pooling2d.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { MaxPooling2D } from '../layers/pooling/max_pooling2d.js';
import { Cropping2D } from '../layers/reshaping/cropping2d.js';
import { ZeroPadding2D } from '../layers/reshaping/zero_padding2d.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, resolveApplicationArgs } from './application_arguments.js';
import { correctPad } from './family_helpers.js';
import { decodePredictions, preprocessingFor } from './imagenet_utils.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

const batchNorm = (name: string) => new BatchNormalization({ axis: -1, momentum: 0.9997, epsilon: 1e-3, name });
const relu = (name?: string) => new Activation('relu', name === undefined ? {} : { name });
const conv1x1 = (filters: number, name: string) => new Conv2D({ filters, kernelSize: [1, 1], strides: [1, 1], padding: 'same', useBias: false, kernelInitializer: 'he_normal', name });
const add = (a: SymbolicTensor, b: SymbolicTensor, name?: string) => call(new Add(name === undefined ? {} : { name }), [a, b]);
const averagePool = (strides: 1 | 2, padding: 'same' | 'valid', name: string) => new AveragePooling2D({ poolSize: [3, 3], strides: [strides, strides], padding, name });

function separableConvBlock(ip: SymbolicTensor, filters: number, kernelSize: number, strides: 1 | 2, blockId: string): SymbolicTensor {
  let x = call(relu(), ip);
  if (strides === 2) x = call(new ZeroPadding2D({ padding: correctPad(x, kernelSize), name: `separable_conv_1_pad_${blockId}` }), x);
  x = call(
    new SeparableConv2D({ filters, kernelSize: [kernelSize, kernelSize], strides: [strides, strides], name: `separable_conv_1_${blockId}`, padding: strides === 2 ? 'valid' : 'same', useBias: false }),
    x,
  );
  x = call(batchNorm(`separable_conv_1_bn_${blockId}`), x);
  x = call(relu(), x);
  x = call(new SeparableConv2D({ filters, kernelSize: [kernelSize, kernelSize], name: `separable_conv_2_${blockId}`, padding: 'same', useBias: false }), x);
  return call(batchNorm(`separable_conv_2_bn_${blockId}`), x);
}

/** Keras' `_adjust_block`: the previous cell's output brought to this cell's size and filters. */
function adjustBlock(p: SymbolicTensor | null, ip: SymbolicTensor, filters: number, blockId: string): SymbolicTensor {
  if (p === null) return ip;
  if (p.shape[2] !== ip.shape[2]) {
    p = call(relu(`adjust_relu_1_${blockId}`), p);
    let p1 = call(new AveragePooling2D({ poolSize: [1, 1], strides: [2, 2], padding: 'valid', name: `adjust_avg_pool_1_${blockId}` }), p);
    p1 = call(new Conv2D({ filters: Math.floor(filters / 2), kernelSize: [1, 1], padding: 'same', useBias: false, kernelInitializer: 'he_normal', name: `adjust_conv_1_${blockId}` }), p1);
    let p2 = call(
      new ZeroPadding2D({
        padding: [
          [0, 1],
          [0, 1],
        ],
      }),
      p,
    );
    p2 = call(
      new Cropping2D({
        cropping: [
          [1, 0],
          [1, 0],
        ],
      }),
      p2,
    );
    p2 = call(new AveragePooling2D({ poolSize: [1, 1], strides: [2, 2], padding: 'valid', name: `adjust_avg_pool_2_${blockId}` }), p2);
    p2 = call(new Conv2D({ filters: Math.floor(filters / 2), kernelSize: [1, 1], padding: 'same', useBias: false, kernelInitializer: 'he_normal', name: `adjust_conv_2_${blockId}` }), p2);
    p = call(new Concatenate({ axis: -1 }), [p1, p2]);
    return call(batchNorm(`adjust_bn_${blockId}`), p);
  }
  if (p.shape[3] !== filters) {
    p = call(relu(), p);
    p = call(new Conv2D({ filters, kernelSize: [1, 1], strides: [1, 1], padding: 'same', name: `adjust_conv_projection_${blockId}`, useBias: false, kernelInitializer: 'he_normal' }), p);
    return call(batchNorm(`adjust_bn_${blockId}`), p);
  }
  return p;
}

function normalCell(ip: SymbolicTensor, previous: SymbolicTensor | null, filters: number, blockId: string): [SymbolicTensor, SymbolicTensor] {
  const p = adjustBlock(previous, ip, filters, blockId);
  let h = call(relu(), ip);
  h = call(conv1x1(filters, `normal_conv_1_${blockId}`), h);
  h = call(batchNorm(`normal_bn_1_${blockId}`), h);
  const x1 = add(separableConvBlock(h, filters, 5, 1, `normal_left1_${blockId}`), separableConvBlock(p, filters, 3, 1, `normal_right1_${blockId}`), `normal_add_1_${blockId}`);
  const x2 = add(separableConvBlock(p, filters, 5, 1, `normal_left2_${blockId}`), separableConvBlock(p, filters, 3, 1, `normal_right2_${blockId}`), `normal_add_2_${blockId}`);
  const x3 = add(call(averagePool(1, 'same', `normal_left3_${blockId}`), h), p, `normal_add_3_${blockId}`);
  const x4 = add(call(averagePool(1, 'same', `normal_left4_${blockId}`), p), call(averagePool(1, 'same', `normal_right4_${blockId}`), p), `normal_add_4_${blockId}`);
  const x5 = add(separableConvBlock(h, filters, 3, 1, `normal_left5_${blockId}`), h, `normal_add_5_${blockId}`);
  return [call(new Concatenate({ axis: -1, name: `normal_concat_${blockId}` }), [p, x1, x2, x3, x4, x5]), ip];
}

function reductionCell(ip: SymbolicTensor, previous: SymbolicTensor | null, filters: number, blockId: string): [SymbolicTensor, SymbolicTensor] {
  const p = adjustBlock(previous, ip, filters, blockId);
  let h = call(relu(), ip);
  h = call(conv1x1(filters, `reduction_conv_1_${blockId}`), h);
  h = call(batchNorm(`reduction_bn_1_${blockId}`), h);
  const h3 = call(new ZeroPadding2D({ padding: correctPad(h, 3), name: `reduction_pad_1_${blockId}` }), h);
  const x1 = add(separableConvBlock(h, filters, 5, 2, `reduction_left1_${blockId}`), separableConvBlock(p, filters, 7, 2, `reduction_right1_${blockId}`), `reduction_add_1_${blockId}`);
  const x2 = add(
    call(new MaxPooling2D({ poolSize: [3, 3], strides: [2, 2], padding: 'valid', name: `reduction_left2_${blockId}` }), h3),
    separableConvBlock(p, filters, 7, 2, `reduction_right2_${blockId}`),
    `reduction_add_2_${blockId}`,
  );
  const x3 = add(call(averagePool(2, 'valid', `reduction_left3_${blockId}`), h3), separableConvBlock(p, filters, 5, 2, `reduction_right3_${blockId}`), `reduction_add3_${blockId}`);
  const x4 = add(x2, call(averagePool(1, 'same', `reduction_left4_${blockId}`), x1));
  const x5 = add(
    separableConvBlock(x1, filters, 3, 1, `reduction_left4_${blockId}`),
    call(new MaxPooling2D({ poolSize: [3, 3], strides: [2, 2], padding: 'valid', name: `reduction_right5_${blockId}` }), h3),
    `reduction_add4_${blockId}`,
  );
  return [call(new Concatenate({ axis: -1, name: `reduction_concat_${blockId}` }), [x2, x3, x4, x5]), ip];
}

interface NASNetShape {
  penultimateFilters: number;
  numBlocks: number;
  stemBlockFilters: number;
  skipReduction: boolean;
  defaultSize: 224 | 331;
}

async function NASNet(builder: string, defaultName: string, shape: NASNetShape, options: ApplicationArgs | undefined): Promise<Model> {
  const args = resolveApplicationArgs(builder, options);
  const filterMultiplier = 2;
  if (shape.penultimateFilters % (24 * filterMultiplier ** 2) !== 0) throw new ValueError(`${builder}: penultimate_filters must be a multiple of 24 * (filter_multiplier ** 2)`);
  const input = imageInput(obtainInputShape(builder, args, shape.defaultSize, 32));
  const filters = Math.floor(shape.penultimateFilters / 24);
  let x = call(new Conv2D({ filters: shape.stemBlockFilters, kernelSize: [3, 3], strides: [2, 2], padding: 'valid', useBias: false, name: 'stem_conv1', kernelInitializer: 'he_normal' }), input);
  x = call(batchNorm('stem_bn1'), x);
  let p: SymbolicTensor | null = null;
  let p0: SymbolicTensor;
  [x, p] = reductionCell(x, p, Math.floor(filters / filterMultiplier ** 2), 'stem_1');
  [x, p] = reductionCell(x, p, Math.floor(filters / filterMultiplier), 'stem_2');
  const n = shape.numBlocks;
  for (let i = 0; i < n; i++) [x, p] = normalCell(x, p, filters, `${i}`);
  [x, p0] = reductionCell(x, p, filters * filterMultiplier, `reduce_${n}`);
  p = shape.skipReduction ? p : p0;
  for (let i = 0; i < n; i++) [x, p] = normalCell(x, p, filters * filterMultiplier, `${n + i + 1}`);
  [x, p0] = reductionCell(x, p, filters * filterMultiplier ** 2, `reduce_${2 * n}`);
  p = shape.skipReduction ? p : p0;
  for (let i = 0; i < n; i++) [x, p] = normalCell(x, p, filters * filterMultiplier ** 2, `${2 * n + i + 1}`);
  x = call(relu(), x);
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D(), x);
    x = call(new Dense(args.classes, { activation: args.classifierActivation, name: 'predictions' }), x);
  } else {
    x = poolingTop(x, args.pooling);
  }
  return finishApplication(builder, input, x, args.name ?? defaultName, args, () => {
    const mobile = shape.defaultSize === 224;
    const [file, hash] = mobile
      ? args.includeTop
        ? ['nasnet_mobile.h5', '020fb642bf7360b370c678b08e0adf61']
        : ['nasnet_mobile_no_top.h5', '1ed92395b5b598bdda52abe5c0dbfd63']
      : args.includeTop
        ? ['nasnet_large.h5', '11577c9a518f0070763c2b964a382f17']
        : ['nasnet_large_no_top.h5', 'd81d89dc07e6e56530c4e77faddd61b5'];
    const remote = `NASNet-${mobile ? 'mobile' : 'large'}${args.includeTop ? '' : '-no-top'}.h5`;
    return { name: file, url: `${KERAS_APPLICATIONS_URL}nasnet/${remote}`, hash };
  });
}

/** Keras' `NASNetMobile` (224x224). */
export function NASNetMobile(args?: ApplicationArgs): Promise<Model> {
  return NASNet('NASNetMobile', 'nasnet_mobile', { penultimateFilters: 1056, numBlocks: 4, stemBlockFilters: 32, skipReduction: false, defaultSize: 224 }, args);
}

/** Keras' `NASNetLarge` (331x331). */
export function NASNetLarge(args?: ApplicationArgs): Promise<Model> {
  return NASNet('NASNetLarge', 'nasnet_large', { penultimateFilters: 4032, numBlocks: 6, stemBlockFilters: 96, skipReduction: true, defaultSize: 331 }, args);
}

/** NASNet's inputs: 'tf' (pixels scaled to [-1, 1]). */
export const preprocessInput = preprocessingFor('tf');
export { decodePredictions };
