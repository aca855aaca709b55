import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { mainArguments, describeArgument } from '../main_arguments.js';
import { checkImageSize, imageAxes, type ImageDataFormat, resizeImages } from './image_resize.js';

export interface CenterCropArgs extends LayerArgs {
  /** The output height (required). */
  height?: number;
  /** The output width (required). */
  width?: number;
  /** 'channels_last' (default) or 'channels_first'. */
  dataFormat?: ImageDataFormat;
}

/**
 * Crops the centre `height` x `width` of images; a smaller image is first cropped to the
 * target's aspect ratio and resized (bilinear) to it, as Keras' smart_resize.
 */
export class CenterCrop extends Layer {
  /** The output height. */
  readonly height: number;
  /** The output width. */
  readonly width: number;
  /** 'channels_last' or 'channels_first'. */
  readonly dataFormat: ImageDataFormat;

  constructor(height: number | CenterCropArgs, width?: number, args: CenterCropArgs = {}) {
    const { main, options } = mainArguments<CenterCropArgs>([height, width, args], ['height', 'width']);
    const { dataFormat = 'channels_last', ...rest } = options;
    super(rest);
    [this.height, this.width] = [checkImageSize(this.name, 'height', main[0]), checkImageSize(this.name, 'width', main[1])];
    if (dataFormat !== 'channels_last' && dataFormat !== 'channels_first')
      throw new ValueError(`Layer "${this.name}": dataFormat must be 'channels_last' or 'channels_first', got ${describeArgument(dataFormat)}`);
    this.dataFormat = dataFormat;
  }

  build(inputShape: Shape | Shape[]): void {
    imageAxes(this.name, inputShape as Shape, this.dataFormat);
  }

  call(inputs: LayerInput): LayerOutput {
    const [hAxis, wAxis] = imageAxes(this.name, inputs.shape, this.dataFormat);
    const [h, w] = [inputs.shape[hAxis] as number, inputs.shape[wAxis] as number];
    if (h < this.height || w < this.width) {
      return resizeImages(inputs, [hAxis, wAxis], [this.height, this.width], 'bilinear', 'crop');
    }
    const top = Math.floor((h - this.height) / 2);
    const left = Math.floor((w - this.width) / 2);
    return ops.sliceAxis(ops.sliceAxis(inputs, hAxis, top, this.height), wAxis, left, this.width);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), height: this.height, width: this.width, dataFormat: this.dataFormat };
  }
}
