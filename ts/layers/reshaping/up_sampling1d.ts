import { ValueError } from '../../errors.js';
import { repeatAxes } from '../../ops/resampling.js';
import type { Shape } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/** Repeats each step of sequences [batch, steps, features] `size` times (default 2). */
export class UpSampling1D extends Layer {
  /** The repetition factor. */
  readonly size: number;

  constructor(size?: number | (LayerArgs & { size?: number }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([size, args], ['size']);
    super(options);
    const factor = main[0] ?? 2;
    if (typeof factor !== 'number' || !Number.isInteger(factor) || factor <= 0) {
      throw new ValueError(`Layer "${this.name}": \`size\` must be a positive integer, got ${describeArgument(factor)}`);
    }
    this.size = factor;
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, 3);
  }

  call(inputs: LayerInput): LayerOutput {
    return repeatAxes(inputs, [1, this.size, 1]);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), size: this.size };
  }
}
