import { activationName, type ActivationIdentifier, getActivation } from '../../activations.js';
import { ValueError } from '../../errors.js';
import type { InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { KERNEL_OPTIONS, type KernelArgs, resolveKernelArgs, resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument } from '../main_arguments.js';

export interface ConvArgs extends LayerArgs, KernelArgs {
  /** Default 1. */
  strides?: number | number[];
  /** 'valid' (default) or 'same'. */
  padding?: ops.Padding;
  /** Only 'channels_last' (Keras' default). */
  dataFormat?: 'channels_last';
  /** Default 1. */
  dilationRate?: number | number[];
}

const CONV_OPTIONS = ['strides', 'padding', 'dataFormat', 'dilationRate', ...KERNEL_OPTIONS];

/** A tuple argument given as one number or one per spatial axis. */
export function normalizeTuple(value: number | number[], rank: number, name: string, layer: string): number[] {
  const list = Array.isArray(value) ? value : new Array(rank).fill(value);
  if (list.length !== rank || list.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new ValueError(`Layer "${layer}": \`${name}\` must be a positive integer or a list of ${rank}, got ${describeArgument(value)}`);
  }
  return list;
}

/** Convolution over `rank` spatial axes, channels last (Conv1D, Conv2D). */
export abstract class BaseConv extends Layer {
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: ops.Padding;
  readonly dilationRate: number[];
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  kernel!: Variable;
  bias?: Variable;
  private readonly kernelInitializer: InitializerIdentifier;
  private readonly biasInitializer: InitializerIdentifier;
  private readonly penalties: Record<'kernel' | 'bias', WeightPenalties>;

  /** @param ownOptions a subclass's options beyond the convolution's. */
  constructor(readonly rank: 1 | 2, filters: number, kernelSize: number | number[], args: ConvArgs = {}, ownOptions: string[] = []) {
    super(args, [...CONV_OPTIONS, ...ownOptions]);
    if (!Number.isInteger(filters) || filters <= 0) {
      throw new ValueError(`Invalid value for argument \`filters\`. Expected a strictly positive value. Received filters=${describeArgument(filters)}`);
    }
    this.filters = filters;
    this.kernelSize = normalizeTuple(kernelSize, rank, 'kernelSize', this.name);
    this.strides = normalizeTuple(args.strides ?? 1, rank, 'strides', this.name);
    this.dilationRate = normalizeTuple(args.dilationRate ?? 1, rank, 'dilationRate', this.name);
    this.padding = String(args.padding ?? 'valid').toLowerCase() as ops.Padding;
    if (this.padding !== 'valid' && this.padding !== 'same') {
      throw new ValueError(`Layer "${this.name}": padding must be 'valid' or 'same', got ${describeArgument(args.padding)}`);
    }
    if (args.dataFormat !== undefined && args.dataFormat !== 'channels_last') {
      throw new ValueError(`Layer "${this.name}": only dataFormat 'channels_last' is supported, got ${describeArgument(args.dataFormat)}`);
    }
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new ValueError(`Layer "${this.name}": strides > 1 are not compatible with dilationRate > 1 (as in Keras)`);
    }
    ({ activation: this.activation, useBias: this.useBias, kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer } = resolveKernelArgs(args));
    this.penalties = resolveWeightPenalties(args as Record<string, unknown>, ['kernel', 'bias']);
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, this.rank + 2);
    const channels = inputShape[inputShape.length - 1] as number;
    this.kernel = this.addWeight({ name: 'kernel', shape: this.kernelShape(channels), initializer: this.kernelInitializer, ...this.penalties.kernel });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [this.filters], initializer: this.biasInitializer, ...this.penalties.bias });
  }

  /** Keras' kernel layout: [...kernelSize, input channels, filters]. */
  protected kernelShape(channels: number): number[] {
    return [...this.kernelSize, channels, this.filters];
  }

  /** The convolution itself, before bias and activation. */
  protected convolve(inputs: LayerInput): LayerOutput {
    return ops.conv(inputs, this.kernel, { strides: this.strides, padding: this.padding, dilationRate: this.dilationRate });
  }

  call(inputs: LayerInput): LayerOutput {
    let y: LayerOutput = this.convolve(inputs);
    if (this.bias) y = ops.add(y, this.bias);
    return getActivation(this.activation)(y);
  }

  getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: activationName(this.activation),
      useBias: this.useBias,
      ...weightPenaltiesConfig(this.penalties),
    };
  }
}
