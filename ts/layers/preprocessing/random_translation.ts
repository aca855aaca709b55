import type { Augmentation } from '../../ops/augment.js';
import type { LayerConfig } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseImageAugmentation, type Factor, type ImageAugmentationArgs, RESAMPLE_OPTIONS, type ResampleArgs } from './base_image_augmentation.js';

export interface RandomTranslationArgs extends ImageAugmentationArgs, ResampleArgs {
  /** The vertical shift as a fraction of the height: f for [-f, f], or [lower, upper], within [-1, 1]. */
  heightFactor?: Factor;
  /** The horizontal shift as a fraction of the width. */
  widthFactor?: Factor;
}

/** Shifts each image by a random offset while fitting (Keras' RandomTranslation). */
export class RandomTranslation extends BaseImageAugmentation {
  /** The range of the vertical shift, as [lower, upper] fractions of the height. */
  readonly heightFactor: [number, number];
  /** The range of the horizontal shift, as [lower, upper] fractions of the width. */
  readonly widthFactor: [number, number];
  private readonly resampling: ReturnType<BaseImageAugmentation['resample']>;

  constructor(heightFactor: Factor | RandomTranslationArgs, widthFactor?: Factor | RandomTranslationArgs, args: RandomTranslationArgs = {}) {
    const { main, options } = mainArguments<RandomTranslationArgs>([heightFactor, widthFactor, args], ['heightFactor', 'widthFactor']);
    const { fillMode, interpolation, fillValue, ...rest } = options;
    super(rest, ['heightFactor', 'widthFactor', ...RESAMPLE_OPTIONS]);
    this.heightFactor = this.factorRange('heightFactor', main[0], [-1, 1]);
    this.widthFactor = this.factorRange('widthFactor', main[1], [-1, 1]);
    this.resampling = this.resample({ fillMode, interpolation, fillValue });
  }

  protected augmentation(): Augmentation {
    return { kind: 'translation', height: this.heightFactor, width: this.widthFactor, ...this.resampling };
  }

  getConfig(): LayerConfig {
    const r = this.resampling;
    return {
      ...super.getConfig(),
      heightFactor: this.heightFactor,
      widthFactor: this.widthFactor,
      fillMode: r.fill_mode,
      interpolation: r.interpolation,
      fillValue: r.fill_value,
      seed: null,
      dataFormat: 'channels_last',
    };
  }
}
