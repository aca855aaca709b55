import type { Augmentation } from '../../ops/augment.js';
import type { LayerConfig } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseImageAugmentation, type Factor, type ImageAugmentationArgs, RESAMPLE_OPTIONS, type ResampleArgs } from './base_image_augmentation.js';

export interface RandomZoomArgs extends ImageAugmentationArgs, ResampleArgs {
  /** The vertical zoom as a fraction: f for [-f, f], or [lower, upper]; positive zooms out, negative in. */
  heightFactor?: Factor;
  /** The horizontal zoom; default null: the same draw as the height (aspect kept). */
  widthFactor?: Factor | null;
}

/** Zooms each image in or out by a random factor about its centre while fitting (Keras' RandomZoom). */
export class RandomZoom extends BaseImageAugmentation {
  /** The range of the vertical zoom, as [lower, upper]. */
  readonly heightFactor: [number, number];
  /** The range of the horizontal zoom, or null (the height's draw). */
  readonly widthFactor: [number, number] | null;
  private readonly resampling: ReturnType<BaseImageAugmentation['resample']>;

  constructor(heightFactor: Factor | RandomZoomArgs, widthFactor?: Factor | null | RandomZoomArgs, args: RandomZoomArgs = {}) {
    const { main, options } = mainArguments<RandomZoomArgs>([heightFactor, widthFactor, args], ['heightFactor', 'widthFactor']);
    const { fillMode, interpolation, fillValue, ...rest } = options;
    super(rest, ['heightFactor', 'widthFactor', ...RESAMPLE_OPTIONS]);
    // Zoom 1 + z must stay positive: Keras refuses factors at or below -1.
    this.heightFactor = this.factorRange('heightFactor', main[0], [-0.9999999, Infinity]);
    this.widthFactor = main[1] === undefined || main[1] === null ? null : this.factorRange('widthFactor', main[1], [-0.9999999, Infinity]);
    this.resampling = this.resample({ fillMode, interpolation, fillValue });
  }

  protected augmentation(): Augmentation {
    return { kind: 'zoom', height: this.heightFactor, width: this.widthFactor, ...this.resampling };
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
