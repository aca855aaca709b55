// Image resizing from graph ops: along each image axis, a matmul with a fixed interpolation
// matrix (jax.image.resize's weights: half-pixel centres, no antialiasing), so it differentiates
// for free. Shared by Resizing and CenterCrop.
import { ShapeError, ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import { tensor, type Tensor } from '../../tensor.js';
import { withAxesLast } from '../axes.js';
import type { LayerInput, LayerOutput } from '../layer.js';
import { describeArgument } from '../main_arguments.js';

export type ImageDataFormat = 'channels_last' | 'channels_first';
export type ResizeInterpolation = 'bilinear' | 'nearest';
/** What to do when the aspect ratios differ: stretch, crop the input's centre, or pad it with zeros. */
export type AspectRatio = 'stretch' | 'crop' | 'pad';

export function checkImageSize(layer: string, name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) <= 0) throw new ValueError(`Layer "${layer}": \`${name}\` must be a positive integer, got ${describeArgument(value)}`);
  return value as number;
}

/** The height and width axes of an image batch (rank 4) or of one image (rank 3). */
export function imageAxes(layer: string, shape: Shape, dataFormat: ImageDataFormat): [number, number] {
  if (shape.length !== 4 && shape.length !== 3)
    throw new ShapeError(`Layer "${layer}": expected images of rank 4 (batch, height, width, channels) or 3, got shape [${shape.map((d) => d ?? 'null').join(', ')}]`);
  const axes: [number, number] = dataFormat === 'channels_last' ? [shape.length - 3, shape.length - 2] : [shape.length - 2, shape.length - 1];
  if (axes.some((a) => shape[a] === null)) throw new ShapeError(`Layer "${layer}": the image height and width must be known, got shape [${shape.map((d) => d ?? 'null').join(', ')}]`);
  return axes;
}

/** weights[i][j]: the share of input index i in output index j (jax.image.resize). */
function interpolationMatrix(input: number, output: number, interpolation: ResizeInterpolation): Tensor {
  const weights = new Float32Array(input * output);
  for (let j = 0; j < output; j++) {
    if (interpolation === 'nearest') {
      const i = Math.min(input - 1, Math.floor(((j + 0.5) * input) / output));
      weights[i * output + j] = 1;
      continue;
    }
    const sample = ((j + 0.5) * input) / output - 0.5;
    if (sample < -0.5 || sample > input - 0.5) continue;
    // Triangle kernel, normalised over the input indices in reach (edges clamp).
    let total = 0;
    for (let i = 0; i < input; i++) total += Math.max(0, 1 - Math.abs(sample - i));
    for (let i = 0; i < input; i++) weights[i * output + j] = Math.max(0, 1 - Math.abs(sample - i)) / total;
  }
  return tensor(weights, [input, output]);
}

/** Resizes one axis by a matmul on that axis moved last. */
function resizeAxis(x: LayerInput, axis: number, size: number, interpolation: ResizeInterpolation): LayerInput {
  const input = x.shape[axis] as number;
  if (input === size) return x;
  const matrix = interpolationMatrix(input, size, interpolation);
  return withAxesLast(x, [axis], (moved) => ops.matmul(moved, matrix) as LayerOutput) as LayerInput;
}

/**
 * Resizes the image axes `[hAxis, wAxis]` to `[height, width]`; with `aspect` 'crop' the largest
 * centred window of the target's aspect ratio is resized, with 'pad' the image is first padded
 * with zeros to it (Keras' crop_to_aspect_ratio and pad_to_aspect_ratio).
 */
export function resizeImages(x: LayerInput, [hAxis, wAxis]: [number, number], [height, width]: [number, number], interpolation: ResizeInterpolation, aspect: AspectRatio): LayerOutput {
  const [h, w] = [x.shape[hAxis] as number, x.shape[wAxis] as number];
  let y = x;
  if (aspect === 'crop') {
    const cropHeight = Math.max(Math.min(h, Math.trunc((w * height) / width)), 1);
    const cropWidth = Math.max(Math.min(w, Math.trunc((h * width) / height)), 1);
    y = ops.sliceAxis(y, hAxis, Math.trunc((h - cropHeight) / 2), cropHeight) as LayerInput;
    y = ops.sliceAxis(y, wAxis, Math.trunc((w - cropWidth) / 2), cropWidth) as LayerInput;
  } else if (aspect === 'pad') {
    const padHeight = Math.max(h, Math.trunc((w * height) / width));
    const padWidth = Math.max(w, Math.trunc((h * width) / height));
    const top = Math.trunc((padHeight - h) / 2);
    const left = Math.trunc((padWidth - w) / 2);
    const paddings = x.shape.map((_, a): [number, number] => (a === hAxis ? [top, padHeight - h - top] : a === wAxis ? [left, padWidth - w - left] : [0, 0]));
    if (paddings.some(([a, b]) => a > 0 || b > 0)) y = ops.pad(y, paddings) as LayerInput;
  }
  return resizeAxis(resizeAxis(y, hAxis, height, interpolation), wAxis, width, interpolation);
}
