import { ValueError } from '../../errors.js';
import { augment, type Augmentation } from '../../ops/augment.js';
import { SymbolicTensor } from '../../symbolic.js';
import type { CallOptions, LayerConfig, LayerInput, LayerOutput } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseImageAugmentation, type ImageAugmentationArgs } from './base_image_augmentation.js';
import { checkImageSize, resizeImages } from './image_resize.js';

export interface RandomCropArgs extends ImageAugmentationArgs {
  /** The output's height. */
  height?: number;
  /** The output's width. */
  width?: number;
}

/**
 * Crops images to `height` x `width` (Keras' RandomCrop). While fitting, one random window per
 * batch (images not larger than the target on both axes are resized from a centred window, as
 * Keras does); at inference, the largest centred window of the target's aspect ratio, resized
 * (bilinear) to the target, as Keras documents and its smart_resize computes.
 */
export class RandomCrop extends BaseImageAugmentation {
  /** The output's height. */
  readonly height: number;
  /** The output's width. */
  readonly width: number;

  constructor(height: number | RandomCropArgs, width?: number, args: RandomCropArgs = {}) {
    const { main, options } = mainArguments<RandomCropArgs>([height, width, args], ['height', 'width']);
    super(options, ['height', 'width']);
    [this.height, this.width] = [checkImageSize(this.name, 'height', main[0]), checkImageSize(this.name, 'width', main[1])];
  }

  protected augmentation(): Augmentation {
    return { kind: 'crop', height: this.height, width: this.width };
  }

  call(inputs: LayerInput, options: CallOptions = {}): LayerOutput {
    if (inputs.shape.length !== 4) throw new ValueError(`${this.where}: expected images [batch, height, width, channels] (rank 4), got shape [${inputs.shape.map((d) => d ?? 'null')}]`);
    if (inputs.shape[1] === null || inputs.shape[2] === null)
      throw new ValueError(`${this.where}: RandomCrop requires the input to have a fully defined height and width, got shape [${inputs.shape.map((d) => d ?? 'null')}]`);
    if (options.training === true && !(inputs instanceof SymbolicTensor)) return super.call(inputs, options);
    const centred = resizeImages(inputs, [1, 2], [this.height, this.width], 'bilinear', 'crop');
    return inputs instanceof SymbolicTensor ? augment(inputs, this.augmentation(), centred as SymbolicTensor) : centred;
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), height: this.height, width: this.width, seed: null, dataFormat: 'channels_last' };
  }
}
