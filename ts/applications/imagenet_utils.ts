// Keras' imagenet_utils: the three input preprocessings the families were trained with, and the
// decoding of 1000-class predictions into ImageNet's WordNet ids and names.
import { ValueError } from '../errors.js';
import { type Tensor, type TensorLike, tensor, toTensor } from '../tensor.js';
import { checkOptionNames, describeValue } from '../utils/options.js';
import { IMAGENET_CLASS_INDEX } from './imagenet_class_index.js';

/**
 * 'caffe': RGB to BGR, then each channel less its ImageNet mean, unscaled (VGG, ResNet);
 * 'tf': pixels scaled to [-1, 1] (ResNetV2, MobileNet, MobileNetV2);
 * 'torch': pixels scaled to [0, 1], then each channel normalised by ImageNet's mean and
 * standard deviation (DenseNet).
 */
export type PreprocessingMode = 'caffe' | 'tf' | 'torch';
/** Where an image's colour channels are: last (Keras' default) or before the height and width. */
export type DataFormat = 'channels_last' | 'channels_first';

/** The options of `preprocessInput`. */
export interface PreprocessInputArgs {
  /** Where the 3 colour channels are [channels_last]. */
  dataFormat?: DataFormat | null;
  /** ['caffe'] */
  mode?: PreprocessingMode;
}

const CAFFE_MEAN = [103.939, 116.779, 123.68]; // of B, G, R
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

/**
 * Keras' `imagenet_utils.preprocess_input`: a 3-D image or 4-D batch of pixels in [0, 255]
 * prepared as `mode` says; returns a new float32 tensor.
 */
export function preprocessInput(x: TensorLike, args: PreprocessInputArgs = {}): Tensor {
  checkOptionNames('preprocessInput', args, ['dataFormat', 'mode']);
  const { mode = 'caffe' } = args;
  const dataFormat = args.dataFormat ?? 'channels_last';
  if (mode !== 'caffe' && mode !== 'tf' && mode !== 'torch') throw new ValueError(`Expected mode to be one of \`caffe\`, \`tf\` or \`torch\`. Received: mode=${describeValue(mode)}`);
  if (dataFormat !== 'channels_last' && dataFormat !== 'channels_first') {
    throw new ValueError(`Expected data_format to be one of \`channels_first\` or \`channels_last\`. Received: data_format=${describeValue(dataFormat)}`);
  }
  const input = toTensor(x);
  const shape = input.shape;
  const values = Float32Array.from(input.dataSync() as ArrayLike<number>);
  if (mode === 'tf') {
    for (let i = 0; i < values.length; i++) values[i] = values[i] / 127.5 - 1;
    return tensor(values, shape, 'float32');
  }
  if (shape.length !== 3 && shape.length !== 4) throw new ValueError(`preprocessInput (mode '${mode}') expects a 3-D image or a 4-D batch of images, got shape ${JSON.stringify(shape)}`);
  // The channel axis and the stride between a pixel's channels.
  const channelAxis = dataFormat === 'channels_last' ? shape.length - 1 : shape.length - 3;
  if (shape[channelAxis] !== 3) throw new ValueError(`preprocessInput (mode '${mode}') expects 3 colour channels on axis ${channelAxis} (${dataFormat}), got shape ${JSON.stringify(shape)}`);
  const inner = shape.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
  const outer = values.length / (3 * inner);
  const out = new Float32Array(values.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < 3; c++) {
      // caffe reads the channels in reverse (BGR); torch keeps RGB.
      const source = mode === 'caffe' ? 2 - c : c;
      const [mean, std] = mode === 'caffe' ? [CAFFE_MEAN[c], 1] : [TORCH_MEAN[c], TORCH_STD[c]];
      const scale = mode === 'caffe' ? 1 : 1 / 255;
      for (let i = 0; i < inner; i++) {
        out[(o * 3 + c) * inner + i] = (values[(o * 3 + source) * inner + i] * scale - mean) / std;
      }
    }
  }
  return tensor(out, shape, 'float32');
}

/** One decoded class: [WordNet id, class name, score], as Keras' tuples. */
export type DecodedPrediction = [string, string, number];

/**
 * Keras' `decode_predictions`: for each row of a [samples, 1000] batch of ImageNet predictions,
 * its `top` classes, highest score first. The class index ships with kiln (no download).
 */
export function decodePredictions(preds: TensorLike, args: { top?: number } = {}): DecodedPrediction[][] {
  checkOptionNames('decodePredictions', args, ['top']);
  const { top = 5 } = args;
  if (!Number.isInteger(top) || top < 1) throw new ValueError(`decodePredictions: top must be a positive integer. Received: top=${describeValue(top)}`);
  const predictions = toTensor(preds);
  const shape = predictions.shape;
  if (shape.length !== 2 || shape[1] !== 1000) {
    throw new ValueError(`\`decodePredictions\` expects a batch of predictions (i.e. a 2D array of shape (samples, 1000)). Received array with shape: ${JSON.stringify(shape)}`);
  }
  const values = predictions.dataSync() as ArrayLike<number>;
  const results: DecodedPrediction[][] = [];
  for (let row = 0; row < shape[0]; row++) {
    const scores = Array.from({ length: 1000 }, (_, i) => Number(values[row * 1000 + i]));
    const order = scores
      .map((_, i) => i)
      .sort((a, b) => scores[b] - scores[a] || a - b)
      .slice(0, top);
    results.push(order.map((i) => [IMAGENET_CLASS_INDEX[i][0], IMAGENET_CLASS_INDEX[i][1], scores[i]]));
  }
  return results;
}

/** A family's `preprocessInput`: Keras' with the family's mode fixed. */
export function preprocessingFor(mode: PreprocessingMode): (x: TensorLike, args?: { dataFormat?: DataFormat | null }) => Tensor {
  return (x, args = {}) => {
    checkOptionNames('preprocessInput', args, ['dataFormat']);
    return preprocessInput(x, { ...args, mode });
  };
}
