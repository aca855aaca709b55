import type { Augmentation } from '../../ops/augment.js';
import type { LayerConfig } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseImageAugmentation, type Factor, type ImageAugmentationArgs, RESAMPLE_OPTIONS, type ResampleArgs } from './base_image_augmentation.js';

export interface RandomRotationArgs extends ImageAugmentationArgs, ResampleArgs {
  /** The angle as a fraction of a full turn: f for [-f, f], or [lower, upper]; positive is counter-clockwise. */
  factor?: Factor;
}

/** Rotates each image by a random angle about its centre while fitting (Keras' RandomRotation). */
export class RandomRotation extends BaseImageAugmentation {
  /** The range of the angle, as [lower, upper] fractions of a full turn. */
  readonly factor: [number, number];
  private readonly resampling: ReturnType<BaseImageAugmentation['resample']>;

  constructor(factor: Factor | RandomRotationArgs, args: RandomRotationArgs = {}) {
    const { main, options } = mainArguments<RandomRotationArgs>([factor, args], ['factor']);
    const { fillMode, interpolation, fillValue, ...rest } = options;
    super(rest, ['factor', ...RESAMPLE_OPTIONS]);
    this.factor = this.factorRange('factor', main[0], [-Infinity, Infinity]);
    this.resampling = this.resample({ fillMode, interpolation, fillValue });
  }

  protected augmentation(): Augmentation {
    return { kind: 'rotation', factor: this.factor, ...this.resampling };
  }

  getConfig(): LayerConfig {
    const r = this.resampling;
    return { ...super.getConfig(), factor: this.factor, fillMode: r.fill_mode, interpolation: r.interpolation, fillValue: r.fill_value, seed: null, dataFormat: 'channels_last' };
  }
}
