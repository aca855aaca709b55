import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import { normalizeTuple } from '../convolutional/base_conv.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

export interface PoolingArgs extends LayerArgs {
  /** The window (default 2 on each axis); positional in `new MaxPooling2D([2, 2])`. */
  poolSize?: number | number[];
  /** Default: the pool size. */
  strides?: number | number[] | null;
  /** 'valid' (default) or 'same'. */
  padding?: ops.Padding;
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** Max or average pooling over `rank` spatial axes, channels last. */
export abstract class BasePooling extends Layer {
  /** The window size along each spatial axis. */
  readonly poolSize: number[];
  /** The step along each spatial axis (default: the pool size). */
  readonly strides: number[];
  /** 'valid' (the default) or 'same'. */
  readonly padding: ops.Padding;

  /**
   * @param rank The number of spatial axes (1, 2 or 3).
   * @param poolFunction 'max' or 'average'.
   */
  constructor(
    readonly rank: 1 | 2 | 3,
    readonly poolFunction: 'max' | 'average',
    poolSize: number | number[] | PoolingArgs,
    args: PoolingArgs = {},
  ) {
    const { main, options } = mainArguments<PoolingArgs>([poolSize, args], ['poolSize']);
    [poolSize, args] = [(main[0] ?? 2) as number | number[], options];
    super(args, ['strides', 'padding', 'dataFormat']);
    this.poolSize = normalizeTuple(poolSize as number | number[], rank, 'poolSize', this.name);
    this.strides = normalizeTuple(args.strides ?? this.poolSize, rank, 'strides', this.name);
    this.padding = String(args.padding ?? 'valid').toLowerCase() as ops.Padding;
    if (this.padding !== 'valid' && this.padding !== 'same') {
      throw new ValueError(`Layer "${this.name}": padding must be 'valid' or 'same', got ${describeArgument(args.padding)}`);
    }
    if (args.dataFormat !== undefined && args.dataFormat !== 'channels_last') {
      throw new ValueError(`Layer "${this.name}": only dataFormat 'channels_last' is supported, got ${describeArgument(args.dataFormat)}`);
    }
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, this.rank + 2);
  }

  call(inputs: LayerInput): LayerOutput {
    const pool = this.poolFunction === 'max' ? ops.maxPool : ops.averagePool;
    return pool(inputs, this.poolSize, this.strides, this.padding);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}
