import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

export interface ReLUArgs extends LayerArgs {
  /** Upper bound of the output (default none). */
  maxValue?: number | null;
  /** Slope below the threshold, between 0 and 1 (default 0). */
  negativeSlope?: number;
  /** Only 0 in this version. */
  threshold?: number;
}

/** The rectified linear unit, optionally capped (maxValue) and leaky (negativeSlope). */
export class ReLU extends Layer {
  /** The upper bound of the output, or null for none. */
  readonly maxValue: number | null;
  /** The slope below 0 (default 0). */
  readonly negativeSlope: number;

  constructor(maxValue?: number | null | ReLUArgs, args: ReLUArgs = {}) {
    const { main, options } = mainArguments<ReLUArgs>([maxValue, args], ['maxValue']);
    [maxValue, args] = [main[0] as number | null | undefined, options];
    super(args, ['negativeSlope', 'threshold']);
    this.maxValue = maxValue ?? null;
    this.negativeSlope = args.negativeSlope ?? 0;
    if (this.maxValue !== null && (typeof this.maxValue !== 'number' || !(this.maxValue >= 0)))
      throw new ValueError(`maxValue of a ReLU layer cannot be negative. Received: maxValue=${describeArgument(this.maxValue)}`);
    if (typeof this.negativeSlope !== 'number' || !(this.negativeSlope >= 0 && this.negativeSlope <= 1))
      throw new ValueError(`negativeSlope of a ReLU layer must be between 0 and 1. Received: negativeSlope=${describeArgument(this.negativeSlope)}`);
    if ((args.threshold ?? 0) !== 0) throw new ValueError(`Layer "${this.name}": a non-zero threshold is not supported yet`);
  }

  call(inputs: LayerInput): LayerOutput {
    let y: LayerOutput = this.negativeSlope > 0 ? ops.maximum(inputs, ops.mul(inputs, this.negativeSlope)) : ops.relu(inputs);
    if (this.maxValue !== null) y = ops.minimum(y, this.maxValue);
    return y;
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: 0 };
  }
}
