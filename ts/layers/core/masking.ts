import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

export interface MaskingArgs extends LayerArgs {
  /** Time steps whose features all equal it are skipped downstream (default 0). */
  maskValue?: number;
}

/**
 * Marks padding time steps: a step of [batch, timesteps, features] whose features all equal
 * `maskValue` is masked (the recurrent layers skip it) and zeroed, as Keras' Masking.
 */
export class Masking extends Layer {
  /** The feature value marking a padding step. */
  readonly maskValue: number;

  constructor(maskValue?: number | MaskingArgs, args: MaskingArgs = {}) {
    const { main, options: rest } = mainArguments<MaskingArgs>([maskValue, args], ['maskValue']);
    const options = { ...rest, ...(main[0] === undefined ? {} : { maskValue: main[0] as number }) };
    super(options, ['maskValue']);
    this.maskValue = options.maskValue ?? 0;
    if (typeof this.maskValue !== 'number' || Number.isNaN(this.maskValue)) throw new ValueError(`Layer "${this.name}": maskValue must be a number, got ${describeArgument(this.maskValue)}`);
    this.supportsMasking = true;
  }

  /** 1 for each step with a feature other than maskValue, keeping the feature axis when asked. */
  private present(x: LayerInput, keepDims: boolean): LayerOutput {
    return ops.max(ops.notEqual(x, this.maskValue), -1, keepDims);
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    const x = inputs as LayerInput;
    return ops.mul(x, this.present(x, true));
  }

  computeMask(inputs: LayerInput | LayerInput[]): LayerInput {
    return this.present(inputs as LayerInput, false);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}
