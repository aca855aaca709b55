import { activationName, type ActivationIdentifier, getActivation } from '../../activations.js';
import { ValueError } from '../../errors.js';
import type { InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { KERNEL_OPTIONS, type KernelArgs, resolveKernelArgs, resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument } from '../main_arguments.js';

/** The window options every convolution layer takes. */
export interface ConvWindowArgs {
  /** Default 1. */
  strides?: number | number[];
  /** 'valid' (default) or 'same'. */
  padding?: ops.Padding;
  /** Only 'channels_last' (Keras' default). */
  dataFormat?: 'channels_last';
  /** Default 1. */
  dilationRate?: number | number[];
}

export interface ConvArgs extends LayerArgs, KernelArgs, ConvWindowArgs {
  /**
   * Conv1D, Conv2D and Conv3D: split the channels into this many independent convolutions,
   * each of channels / groups inputs making filters / groups outputs (ConvNeXt's depthwise
   * layers are `groups = channels`). Default 1.
   */
  groups?: number;
}

/** A tuple argument given as one number or one per spatial axis. */
export function normalizeTuple(value: number | number[], rank: number, name: string, layer: string): number[] {
  const list = Array.isArray(value) ? value : new Array(rank).fill(value);
  if (list.length !== rank || list.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new ValueError(`Layer "${layer}": \`${name}\` must be a positive integer or a list of ${rank}, got ${describeArgument(value)}`);
  }
  return list;
}

/** The window of a convolution layer, checked as Keras checks it. */
export interface ConvWindow {
  kernelSize: number[];
  strides: number[];
  padding: ops.Padding;
  dilationRate: number[];
}

/** The options every convolution layer shares (the window and the data format). */
export const WINDOW_OPTIONS = ['strides', 'padding', 'dataFormat', 'dilationRate'];
const CONV_OPTIONS = [...WINDOW_OPTIONS, ...KERNEL_OPTIONS];

/** Resolves kernelSize, strides, padding and dilationRate with Keras' defaults and checks. */
export function resolveConvWindow(rank: number, kernelSize: number | number[], args: ConvWindowArgs, layer: string): ConvWindow {
  const window = {
    kernelSize: normalizeTuple(kernelSize, rank, 'kernelSize', layer),
    strides: normalizeTuple(args.strides ?? 1, rank, 'strides', layer),
    dilationRate: normalizeTuple(args.dilationRate ?? 1, rank, 'dilationRate', layer),
    padding: String(args.padding ?? 'valid').toLowerCase() as ops.Padding,
  };
  if (window.padding !== 'valid' && window.padding !== 'same') {
    throw new ValueError(`Layer "${layer}": padding must be 'valid' or 'same', got ${describeArgument(args.padding)}`);
  }
  if (args.dataFormat !== undefined && args.dataFormat !== 'channels_last') {
    throw new ValueError(`Layer "${layer}": only dataFormat 'channels_last' is supported, got ${describeArgument(args.dataFormat)}`);
  }
  return window;
}

/** Convolution over `rank` spatial axes, channels last (Conv1D, Conv2D, Conv3D). */
export abstract class BaseConv extends Layer {
  /** The number of output channels. */
  readonly filters: number;
  /** The window size along each spatial axis. */
  readonly kernelSize: number[];
  /** The step along each spatial axis (default 1). */
  readonly strides: number[];
  /** 'valid' (no padding, the default) or 'same' (output size = ceil(input / stride)). */
  readonly padding: ops.Padding;
  /** The dilation along each spatial axis (default 1). */
  readonly dilationRate: number[];
  /** The activation applied to the output (null: linear). */
  readonly activation: ActivationIdentifier;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  /** Channel groups (1 for the layers without Keras' `groups` argument). */
  readonly groups: number;
  /** The kernel [...kernelSize, channels / groups, filters] (after build). */
  kernel!: Variable;
  /** The bias [filters], if useBias. */
  bias?: Variable;
  private readonly kernelInitializer: InitializerIdentifier;
  private readonly biasInitializer: InitializerIdentifier;
  private readonly penalties: Record<'kernel' | 'bias', WeightPenalties>;
  private readonly acceptsGroups: boolean;

  /**
   * @param rank The number of spatial axes (1, 2 or 3).
   * @param ownOptions a subclass's options beyond the convolution's ('groups' for Conv1D/2D/3D).
   */
  constructor(
    readonly rank: 1 | 2 | 3,
    filters: number,
    kernelSize: number | number[],
    args: ConvArgs = {},
    ownOptions: string[] = [],
  ) {
    super(args, [...CONV_OPTIONS, ...ownOptions]);
    this.acceptsGroups = ownOptions.includes('groups');
    if (!Number.isInteger(filters) || filters <= 0) {
      throw new ValueError(`Invalid value for argument \`filters\`. Expected a strictly positive value. Received filters=${describeArgument(filters)}`);
    }
    this.filters = filters;
    this.groups = args.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups <= 0) throw new ValueError(`The number of groups must be a positive integer. Received: groups=${describeArgument(args.groups)}.`);
    if (filters % this.groups !== 0) throw new ValueError(`The number of filters must be evenly divisible by the number of groups. Received: groups=${this.groups}, filters=${filters}.`);
    ({ kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate, padding: this.padding } = resolveConvWindow(rank, kernelSize, args, this.name));
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new ValueError(`Layer "${this.name}": strides > 1 are not compatible with dilationRate > 1 (as in Keras)`);
    }
    ({ activation: this.activation, useBias: this.useBias, kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer } = resolveKernelArgs(args));
    this.penalties = resolveWeightPenalties(args as Record<string, unknown>, ['kernel', 'bias']);
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, this.rank + 2);
    const channels = inputShape[inputShape.length - 1] as number;
    if (channels % this.groups !== 0) {
      throw new ValueError(
        `Layer "${this.name}": the number of input channels must be evenly divisible by the number of groups. Received groups=${this.groups}, but the input has ${channels} channels (full input shape is [${inputShape.map((d) => d ?? 'null').join(', ')}]).`,
      );
    }
    this.kernel = this.addWeight({ name: 'kernel', shape: this.kernelShape(channels), initializer: this.kernelInitializer, ...this.penalties.kernel });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [this.filters], initializer: this.biasInitializer, ...this.penalties.bias });
  }

  /** Keras' kernel layout: [...kernelSize, input channels / groups, filters]. */
  protected kernelShape(channels: number): number[] {
    return [...this.kernelSize, channels / this.groups, this.filters];
  }

  /** The convolution itself, before bias and activation. */
  protected convolve(inputs: LayerInput): LayerOutput {
    return ops.conv(inputs, this.kernel, { strides: this.strides, padding: this.padding, dilationRate: this.dilationRate, groups: this.groups });
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
      ...(this.acceptsGroups ? { groups: this.groups } : {}),
      activation: activationName(this.activation),
      useBias: this.useBias,
      ...weightPenaltiesConfig(this.penalties),
    };
  }
}
