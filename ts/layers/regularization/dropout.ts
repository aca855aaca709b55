import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { SymbolicTensor } from '../../symbolic.js';
import { Layer, type CallOptions, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/**
 * Sets a fraction `rate` of the inputs to 0 during training and scales the rest by
 * 1 / (1 - rate); does nothing at inference.
 */
export class Dropout extends Layer {
  readonly rate: number;

  constructor(rate: number | (LayerArgs & { rate: number }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([rate, args], ['rate']);
    [rate, args] = [main[0] as number, options];
    super(args);
    this.supportsMasking = true;
    if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) {
      throw new ValueError(`Invalid value received for argument \`rate\`. Expected a float value between 0 and 1. Received: rate=${describeArgument(rate)}`);
    }
    this.rate = rate;
  }

  call(inputs: LayerInput, options: CallOptions = {}): LayerOutput {
    // In a graph the engine applies the mask only while training; eager calls are inference.
    if (inputs instanceof SymbolicTensor && this.rate > 0) return ops.dropout(inputs, this.rate);
    void options;
    return inputs;
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), rate: this.rate };
  }
}
