import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/** x for x > 0, else negativeSlope · x (Keras' default slope 0.3). */
export class LeakyReLU extends Layer {
  /** The slope below 0 (default 0.3). */
  readonly negativeSlope: number;

  constructor(negativeSlope?: number | (LayerArgs & { negativeSlope?: number }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([negativeSlope, args], ['negativeSlope']);
    super(options);
    this.negativeSlope = (main[0] ?? 0.3) as number;
    if (typeof this.negativeSlope !== 'number' || !(this.negativeSlope >= 0 && this.negativeSlope <= 1)) {
      throw new ValueError(`The negativeSlope value of a Leaky ReLU layer must be between 0 and 1. Received: negativeSlope=${describeArgument(this.negativeSlope)}`);
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
