import { ValueError } from '../../errors.js';
import type { Shape } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { mainArguments, describeArgument } from '../main_arguments.js';
import { checkImageSize, imageAxes, type ImageDataFormat, resizeImages, type ResizeInterpolation } from './image_resize.js';

export interface ResizingArgs extends LayerArgs {
  /** The output height (required). */
  height?: number;
  /** The output width (required). */
  width?: number;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: ResizeInterpolation;
  /** Resize the largest centred window of the target's aspect ratio instead of stretching. Default false. */
  cropToAspectRatio?: boolean;
  /** Pad the image (with `fillValue` 0) to the target's aspect ratio instead of stretching. Default false. */
  padToAspectRatio?: boolean;
  /** Only 'constant' (Keras' default). */
  fillMode?: 'constant';
  /** Only 0 (Keras' default). */
  fillValue?: number;
  /** Only false (Keras' default). */
  antialias?: boolean;
  /** 'channels_last' (default) or 'channels_first'. */
  dataFormat?: ImageDataFormat;
}

const INTERPOLATIONS: readonly string[] = ['bilinear', 'nearest'];

/** Resizes images to `height` x `width` (half-pixel centres, as Keras with JAX or TensorFlow). */
export class Resizing extends Layer {
  /** The output height. */
  readonly height: number;
  /** The output width. */
  readonly width: number;
  /** 'bilinear' or 'nearest'. */
  readonly interpolation: ResizeInterpolation;
  /** Whether the image is cropped to the target's aspect ratio first. */
  readonly cropToAspectRatio: boolean;
  /** Whether the image is padded to the target's aspect ratio first. */
  readonly padToAspectRatio: boolean;
  /** 'channels_last' or 'channels_first'. */
  readonly dataFormat: ImageDataFormat;

  constructor(height: number | ResizingArgs, width?: number, args: ResizingArgs = {}) {
    const { main, options } = mainArguments<ResizingArgs>([height, width, args], ['height', 'width']);
    const { interpolation = 'bilinear', cropToAspectRatio = false, padToAspectRatio = false, fillMode = 'constant', fillValue = 0, antialias = false, dataFormat = 'channels_last', ...rest } = options;
    super(rest);
    [this.height, this.width] = [checkImageSize(this.name, 'height', main[0]), checkImageSize(this.name, 'width', main[1])];
    if (!INTERPOLATIONS.includes(interpolation))
      throw new ValueError(`Layer "${this.name}": interpolation must be one of ${INTERPOLATIONS.map((i) => `'${i}'`).join(', ')} in this version, got ${describeArgument(interpolation)}`);
    if (cropToAspectRatio && padToAspectRatio) throw new ValueError(`Layer "${this.name}": only one of cropToAspectRatio and padToAspectRatio can be true`);
    if (fillMode !== 'constant' || fillValue !== 0)
      throw new ValueError(`Layer "${this.name}": only fillMode 'constant' with fillValue 0 is supported in this version, got ${describeArgument(fillMode)} and ${describeArgument(fillValue)}`);
    if (antialias !== false) throw new ValueError(`Layer "${this.name}": antialias is not supported in this version, got ${describeArgument(antialias)}`);
    if (dataFormat !== 'channels_last' && dataFormat !== 'channels_first')
      throw new ValueError(`Layer "${this.name}": dataFormat must be 'channels_last' or 'channels_first', got ${describeArgument(dataFormat)}`);
    this.interpolation = interpolation;
    this.cropToAspectRatio = cropToAspectRatio;
    this.padToAspectRatio = padToAspectRatio;
    this.dataFormat = dataFormat;
  }

  build(inputShape: Shape | Shape[]): void {
    imageAxes(this.name, inputShape as Shape, this.dataFormat);
  }

  call(inputs: LayerInput): LayerOutput {
    const aspect = this.cropToAspectRatio ? 'crop' : this.padToAspectRatio ? 'pad' : 'stretch';
    return resizeImages(inputs, imageAxes(this.name, inputs.shape, this.dataFormat), [this.height, this.width], this.interpolation, aspect);
  }

  getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      height: this.height,
      width: this.width,
      interpolation: this.interpolation,
      cropToAspectRatio: this.cropToAspectRatio,
      padToAspectRatio: this.padToAspectRatio,
      fillMode: 'constant',
      fillValue: 0,
      antialias: false,
      dataFormat: this.dataFormat,
    };
  }
}
