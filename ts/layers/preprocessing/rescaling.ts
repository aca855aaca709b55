import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { tensor, type Tensor } from '../../tensor.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { mainArguments, describeArgument } from '../main_arguments.js';

export interface RescalingArgs extends LayerArgs {
  /** The factor: a number, or one per channel of the last axis. */
  scale?: number | number[];
  /** Added after scaling: a number, or one per channel. Default 0. */
  offset?: number | number[];
}

/** A number, or a list of numbers broadcast over the last axis, as a constant tensor. */
function factor(layer: string, name: string, value: unknown): number | Tensor {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number' && Number.isFinite(v))) return tensor(value as number[], [value.length]);
  throw new ValueError(`Layer "${layer}": \`${name}\` must be a number or a non-empty list of numbers (one per channel), got ${describeArgument(value)}`);
}

/**
 * Multiplies every input value by `scale` and adds `offset`, in training and inference
 * (`new Rescaling(1 / 255)` maps [0, 255] to [0, 1]; `scale: 1 / 127.5, offset: -1` to [-1, 1]).
 */
export class Rescaling extends Layer {
  /** The factor (a number or one per channel). */
  readonly scale: number | number[];
  /** Added after scaling (a number or one per channel). */
  readonly offset: number | number[];
  private readonly factors: [number | Tensor, number | Tensor];

  constructor(scale: number | number[] | RescalingArgs, args: RescalingArgs = {}) {
    const { main, options } = mainArguments<RescalingArgs>([scale, args], ['scale']);
    const { offset = 0, ...rest } = options;
    super(rest);
    this.supportsMasking = true;
    this.factors = [factor(this.name, 'scale', main[0]), factor(this.name, 'offset', offset)];
    this.scale = main[0] as number | number[];
    this.offset = offset;
  }

  call(inputs: LayerInput): LayerOutput {
    return ops.add(ops.mul(inputs, this.factors[0]), this.factors[1]);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}
