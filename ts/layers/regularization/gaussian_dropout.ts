import { ValueError } from '../../errors.js';
import { gaussianDropout } from '../../ops/noise.js';
import { SymbolicTensor } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/**
 * Multiplies by Gaussian noise of mean 1 and standard deviation sqrt(rate / (1 - rate)) in
 * training (dropout's variance without zeros); the identity otherwise.
 */
export class GaussianDropout extends Layer {
  /** The dropout rate whose variance the noise has. */
  readonly rate: number;

  constructor(rate: number | (LayerArgs & { rate: number }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([rate, args], ['rate']);
    super(options);
    const value = main[0];
    // Keras allows 1, whose noise is infinite; refuse it here.
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
      throw new ValueError(`Invalid value received for argument \`rate\`. Expected a float value between 0 and 1 (1 excluded). Received: rate=${describeArgument(value)}`);
    }
    this.rate = value;
  }

  call(inputs: LayerInput): LayerOutput {
    if (inputs instanceof SymbolicTensor && this.rate > 0) return gaussianDropout(inputs, this.rate);
    return inputs;
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), rate: this.rate };
  }
}
