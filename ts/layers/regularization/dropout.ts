import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { sharedDropout } from '../../ops/noise.js';
import { SymbolicTensor } from '../../symbolic.js';
import { Layer, type CallOptions, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/**
 * Sets a fraction `rate` of the inputs to 0 during training and scales the rest by
 * 1 / (1 - rate); does nothing at inference.
 */
export interface DropoutArgs extends LayerArgs {
  /**
   * Keras' `noise_shape`: the shape of the keep/drop mask, broadcast over the input; a 1 shares
   * one draw along that axis (`[null, 1, 1, null]` drops whole feature maps), null or the
   * axis' size draws per entry. Default: one draw per entry.
   */
  noiseShape?: (number | null)[];
}

/**
 * Sets a fraction `rate` (in [0, 1)) of the inputs to 0 during training and scales the rest by
 * 1 / (1 - rate); does nothing at inference, as Keras' `Dropout`. Masks pass through. A
 * `noiseShape` that shares the mask across the batch is refused.
 */
export class Dropout extends Layer {
  /** The fraction dropped. */
  readonly rate: number;
  /** The shape of the keep/drop mask, if given. */
  readonly noiseShape?: (number | null)[];

  constructor(rate: number | (DropoutArgs & { rate: number }), args: DropoutArgs = {}) {
    const { main, options } = mainArguments<DropoutArgs>([rate, args], ['rate']);
    rate = main[0] as number;
    const { noiseShape, ...rest } = options;
    super(rest, ['noiseShape']);
    if (noiseShape !== undefined && (!Array.isArray(noiseShape) || noiseShape.some((d) => d !== null && !(Number.isInteger(d) && d > 0)))) {
      throw new ValueError(`Layer "${this.name}": noiseShape must be a list of positive integers or null, got ${describeArgument(noiseShape)}`);
    }
    if (noiseShape?.[0] === 1) throw new ValueError(`Layer "${this.name}": a noiseShape that shares the mask across the batch (first entry 1) is not supported, got ${describeArgument(noiseShape)}`);
    this.noiseShape = noiseShape;
    this.supportsMasking = true;
    if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) {
      throw new ValueError(`Invalid value received for argument \`rate\`. Expected a float value between 0 and 1. Received: rate=${describeArgument(rate)}`);
    }
    this.rate = rate;
  }

  call(inputs: LayerInput, options: CallOptions = {}): LayerOutput {
    // In a graph the engine applies the mask only while training; eager calls are inference.
    if (inputs instanceof SymbolicTensor && this.rate > 0) {
      if (!this.noiseShape) return ops.dropout(inputs, this.rate);
      if (this.noiseShape.length !== inputs.rank || this.noiseShape.some((d, i) => d !== null && d !== 1 && d !== inputs.shape[i])) {
        throw new ValueError(`Layer "${this.name}": noiseShape ${JSON.stringify(this.noiseShape)} does not fit inputs of shape [${inputs.shape.map((d) => d ?? 'null').join(', ')}]`);
      }
      const shared = this.noiseShape.flatMap((d, i) => (d === 1 && inputs.shape[i] !== 1 ? [i] : []));
      return shared.length > 0 ? sharedDropout(inputs, this.rate, shared) : ops.dropout(inputs, this.rate);
    }
    void options;
    return inputs;
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), rate: this.rate, ...(this.noiseShape ? { noiseShape: this.noiseShape } : {}) };
  }
}
