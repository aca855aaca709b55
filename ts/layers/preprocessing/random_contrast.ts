import type { Augmentation } from '../../ops/augment.js';
import type { LayerConfig } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseImageAugmentation, type Factor, type ImageAugmentationArgs } from './base_image_augmentation.js';

export interface RandomContrastArgs extends ImageAugmentationArgs {
  /** f for a contrast factor in [1 - f, 1 + f], or [lower, upper] for [1 - lower, 1 + upper]. */
  factor?: Factor;
  /** Outputs are clipped to this range (default [0, 255]). */
  valueRange?: [number, number];
}

/**
 * Scales each image's deviation from its per-channel mean by a random factor while fitting,
 * clipped to `valueRange` (Keras' RandomContrast).
 */
export class RandomContrast extends BaseImageAugmentation {
  /** The range of the contrast factor, as [lower, upper] (factor in [1 - lower, 1 + upper]). */
  readonly factor: [number, number];
  /** The range outputs are clipped to. */
  readonly valueRange: [number, number];

  constructor(factor: Factor | RandomContrastArgs, args: RandomContrastArgs = {}) {
    const { main, options } = mainArguments<RandomContrastArgs>([factor, args], ['factor']);
    const { valueRange = [0, 255], ...rest } = options;
    super(rest, ['factor', 'valueRange']);
    // Keras' bounds: the factor's range is [1 - lower, 1 + upper], each part in [0, 1].
    this.factor = this.factorRange('factor', main[0], [0, 1], (f) => [f, f], false);
    this.valueRange = this.checkValueRange(valueRange);
  }

  protected augmentation(): Augmentation {
    return { kind: 'contrast', factor: this.factor, value_range: this.valueRange };
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), factor: this.factor, valueRange: this.valueRange, seed: null };
  }
}
