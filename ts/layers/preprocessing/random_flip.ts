import { ValueError } from '../../errors.js';
import type { Augmentation } from '../../ops/augment.js';
import { describeValue } from '../../utils/options.js';
import type { LayerConfig } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseImageAugmentation, type ImageAugmentationArgs } from './base_image_augmentation.js';

/** Which axes RandomFlip flips: 'horizontal', 'vertical', or both. */
export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';
const FLIP_MODES: readonly FlipMode[] = ['horizontal', 'vertical', 'horizontal_and_vertical'];

export interface RandomFlipArgs extends ImageAugmentationArgs {
  /** Default 'horizontal_and_vertical' (both axes flip together). */
  mode?: FlipMode;
}

/** Flips each image left-right and/or up-down with probability 1/2 while fitting (Keras' RandomFlip). */
export class RandomFlip extends BaseImageAugmentation {
  /** Which axes are flipped. */
  readonly mode: FlipMode;

  constructor(mode?: FlipMode | RandomFlipArgs, args: RandomFlipArgs = {}) {
    const { main, options } = mainArguments<RandomFlipArgs>([mode, args], ['mode']);
    super(options, ['mode']);
    const value = main[0] ?? 'horizontal_and_vertical';
    if (!FLIP_MODES.includes(value as FlipMode))
      throw new ValueError(`${this.where}: RandomFlip layer ${this.name} received an unknown mode=${describeValue(value)}; expected one of ${FLIP_MODES.map((m) => `'${m}'`).join(', ')}`);
    this.mode = value as FlipMode;
  }

  protected augmentation(): Augmentation {
    return { kind: 'flip', horizontal: this.mode !== 'vertical', vertical: this.mode !== 'horizontal' };
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), mode: this.mode, seed: null, dataFormat: 'channels_last' };
  }
}
