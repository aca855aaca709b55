import { ValueError } from '../../errors.js';
import { sharedDropout } from '../../ops/noise.js';
import { type Shape, SymbolicTensor } from '../../symbolic.js';
import type { CallOptions, LayerArgs, LayerConfig, LayerInput, LayerOutput } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { Dropout } from './dropout.js';

export interface SpatialDropoutArgs extends LayerArgs {
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/**
 * Dropout of whole feature maps: during training each sample's channels are dropped (all
 * their positions at once) with probability `rate` and the rest scaled by 1 / (1 - rate), so
 * neighbouring, correlated positions cannot stand in for a dropped one.
 */
export abstract class BaseSpatialDropout extends Dropout {
  constructor(
    private readonly spatialAxes: 1 | 2 | 3,
    given: unknown[],
  ) {
    const { main, options } = mainArguments<SpatialDropoutArgs>(given, ['rate']);
    const { dataFormat, ...rest } = options;
    // The options form, so a wrong-typed rate is not mistaken for Dropout's options.
    super({ ...rest, rate: main[0] as number });
    if (dataFormat !== undefined && dataFormat !== 'channels_last') {
      throw new ValueError(`Layer "${this.name}": only dataFormat 'channels_last' is supported, got '${dataFormat}'`);
    }
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, this.spatialAxes + 2);
  }

  call(inputs: LayerInput, options: CallOptions = {}): LayerOutput {
    void options;
    // The mask is shared over the spatial axes: one draw per sample and channel.
    const shared = Array.from({ length: this.spatialAxes }, (_, i) => i + 1);
    if (inputs instanceof SymbolicTensor && this.rate > 0) return sharedDropout(inputs, this.rate, shared);
    return inputs;
  }

  getConfig(): LayerConfig {
    // Keras' SpatialDropout constructors take no `trainable` (Keras refuses a config with it).
    const { trainable, ...config } = super.getConfig();
    void trainable;
    return { ...config, dataFormat: 'channels_last' } as unknown as LayerConfig; // weightless: trainable changes nothing
  }
}

/** Drops whole channels of sequences [batch, steps, channels] in training. */
export class SpatialDropout1D extends BaseSpatialDropout {
  constructor(rate: number | (SpatialDropoutArgs & { rate: number }), args: SpatialDropoutArgs = {}) {
    super(1, [rate, args]);
  }
}

/** Drops whole channels of images [batch, height, width, channels] in training. */
export class SpatialDropout2D extends BaseSpatialDropout {
  constructor(rate: number | (SpatialDropoutArgs & { rate: number }), args: SpatialDropoutArgs = {}) {
    super(2, [rate, args]);
  }
}
