import type { Augmentation } from '../../ops/augment.js';
import type { LayerConfig } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseImageAugmentation, type Factor, type ImageAugmentationArgs } from './base_image_augmentation.js';

export interface RandomBrightnessArgs extends ImageAugmentationArgs {
  /** The shift as a fraction of the value range: f for [-f, f], or [lower, upper], within [-1, 1]. */
  factor?: Factor;
  /** Outputs are clipped to this range (default [0, 255]), whose width scales the shift. */
  valueRange?: [number, number];
}

/** Adds a random brightness shift to each image while fitting, clipped to `valueRange` (Keras' RandomBrightness). */
export class RandomBrightness extends BaseImageAugmentation {
  /** The range of the shift, as [lower, upper] fractions of the value range. */
  readonly factor: [number, number];
  /** The range outputs are clipped to. */
  readonly valueRange: [number, number];

  constructor(factor: Factor | RandomBrightnessArgs, args: RandomBrightnessArgs = {}) {
    const { main, options } = mainArguments<RandomBrightnessArgs>([factor, args], ['factor']);
    const { valueRange = [0, 255], ...rest } = options;
    super(rest, ['factor', 'valueRange']);
    this.factor = this.factorRange('factor', main[0], [-1, 1]);
    this.valueRange = this.checkValueRange(valueRange);
  }

  protected augmentation(): Augmentation {
    return { kind: 'brightness', factor: this.factor, value_range: this.valueRange };
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), factor: this.factor, valueRange: this.valueRange, seed: null };
  }
}
