import { ValueError } from '../errors.js';
import { sharedDropout } from '../ops/noise.js';
import { type Shape, SymbolicTensor } from '../symbolic.js';
import { Layer, type CallOptions, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layers/layer.js';
import { mainArguments, describeArgument } from '../layers/main_arguments.js';

export interface StochasticDepthArgs extends LayerArgs {
  /** The probability of dropping the whole residual path of a sample, in [0, 1). */
  dropPathRate?: number;
}

/**
 * Keras' ConvNeXt helper (keras.applications.convnext.StochasticDepth): while training, drops
 * each sample's whole input with probability `dropPathRate` and scales the kept ones by
 * 1 / (1 - rate); the identity at inference.
 */
export class StochasticDepth extends Layer {
  /** Where Keras defines it, so Keras finds the class when it loads kiln's files. */
  static readonly kerasModule = 'keras.src.applications.convnext';
  /** The probability of dropping a sample's whole residual path while training. */
  readonly dropPathRate: number;

  constructor(dropPathRate: number | StochasticDepthArgs, args: StochasticDepthArgs = {}) {
    const { main, options } = mainArguments<StochasticDepthArgs>([dropPathRate, args], ['dropPathRate']);
    super(options);
    const rate = main[0];
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new ValueError(`Layer "${this.name}": dropPathRate must be a number in [0, 1), got ${describeArgument(rate)}`);
    this.dropPathRate = rate;
  }

  build(inputShape: Shape | Shape[]): void {
    void inputShape;
  }

  call(inputs: LayerInput, options: CallOptions = {}): LayerOutput {
    void options;
    // One draw per sample, shared by every other axis: dropout with all of them shared.
    if (inputs instanceof SymbolicTensor && this.dropPathRate > 0) {
      return sharedDropout(
        inputs,
        this.dropPathRate,
        Array.from({ length: inputs.rank - 1 }, (_, i) => i + 1),
      );
    }
    return inputs;
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), dropPathRate: this.dropPathRate };
  }
}
