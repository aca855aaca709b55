import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

/** x for x > 0, else negativeSlope · x (Keras' default slope 0.3). */
export class LeakyReLU extends Layer {
  readonly negativeSlope: number;

  constructor(args: LayerArgs & { negativeSlope?: number } = {}) {
    super(args, ['negativeSlope']);
    this.negativeSlope = args.negativeSlope ?? 0.3;
    if (!(this.negativeSlope >= 0 && this.negativeSlope <= 1)) {
      throw new ValueError(`The negativeSlope value of a Leaky ReLU layer must be between 0 and 1. Received: negativeSlope=${this.negativeSlope}`);
    }
  }

  call(inputs: LayerInput): LayerOutput {
    // With a slope in [0, 1], max(x, slope·x) is exactly the leaky relu.
    return ops.maximum(inputs, ops.mul(inputs, this.negativeSlope));
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), negativeSlope: this.negativeSlope };
  }
}
