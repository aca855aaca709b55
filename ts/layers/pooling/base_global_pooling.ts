import * as ops from '../../ops.js';
import { type Shape, SymbolicTensor } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

export interface GlobalPoolingArgs extends LayerArgs {
  /** Keep the pooled spatial axes with length 1 (default false). */
  keepdims?: boolean;
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** Max or mean over all spatial axes, channels last: [batch, ..., channels] -> [batch, channels]. */
export abstract class BaseGlobalPooling extends Layer {
  /** Whether the spatial axes are kept with size 1. */
  readonly keepdims: boolean;

  /**
   * @param rank The number of spatial axes (1, 2 or 3).
   * @param poolFunction 'max' or 'average'.
   */
  constructor(
    readonly rank: 1 | 2 | 3,
    readonly poolFunction: 'max' | 'average',
    args: GlobalPoolingArgs = {},
  ) {
    super(args, ['keepdims', 'dataFormat']);
    this.keepdims = args?.keepdims ?? false; // null: Layer accepted it as no options
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, this.rank + 2);
  }

  call(inputs: LayerInput): LayerOutput {
    const channels = inputs.shape[inputs.shape.length - 1] as number;
    const reduce = this.poolFunction === 'max' ? ops.max : ops.mean;
    // Spatial axes become one, then reduce it.
    const flat: LayerInput = this.rank === 1 ? inputs : inputs instanceof SymbolicTensor ? ops.reshapeSamples(inputs, [-1, channels]) : inputs.reshape([inputs.shape[0] as number, -1, channels]);
    const pooled = reduce(flat, 1, false);
    if (!this.keepdims) return pooled;
    const kept = [...new Array(this.rank).fill(1), channels];
    return pooled instanceof SymbolicTensor ? ops.reshapeSamples(pooled, kept) : pooled.reshape([pooled.shape[0], ...kept]);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), keepdims: this.keepdims };
  }
}
