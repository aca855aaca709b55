import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

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
  readonly maxValue: number | null;
  readonly negativeSlope: number;

  constructor(args: ReLUArgs = {}) {
    super(args, ['maxValue', 'negativeSlope', 'threshold']);
    this.maxValue = args.maxValue ?? null;
    this.negativeSlope = args.negativeSlope ?? 0;
    if (this.maxValue !== null && !(this.maxValue >= 0)) throw new ValueError(`maxValue of a ReLU layer cannot be negative. Received: maxValue=${this.maxValue}`);
    if (!(this.negativeSlope >= 0 && this.negativeSlope <= 1)) throw new ValueError(`negativeSlope of a ReLU layer must be between 0 and 1. Received: negativeSlope=${this.negativeSlope}`);
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
