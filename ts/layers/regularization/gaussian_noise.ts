import { ValueError } from '../../errors.js';
import { gaussianNoise } from '../../ops/noise.js';
import { SymbolicTensor } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/** Adds zero-mean Gaussian noise of standard deviation `stddev` in training; the identity otherwise. */
export class GaussianNoise extends Layer {
  /** The noise's standard deviation. */
  readonly stddev: number;

  constructor(stddev: number | (LayerArgs & { stddev: number }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([stddev, args], ['stddev']);
    super(options);
    const value = main[0];
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new ValueError(`Invalid value received for argument \`stddev\`. Expected a float value between 0 and 1. Received: stddev=${describeArgument(value)}`);
    }
    this.stddev = value;
  }

  call(inputs: LayerInput): LayerOutput {
    // In a graph the engine adds the noise only while training; eager calls are inference.
    if (inputs instanceof SymbolicTensor && this.stddev > 0) return gaussianNoise(inputs, this.stddev);
    return inputs;
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), stddev: this.stddev };
  }
}
