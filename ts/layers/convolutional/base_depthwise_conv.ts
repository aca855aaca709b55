import { activationName, type ActivationIdentifier, getActivation } from '../../activations.js';
import { ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { ConstraintIdentifier } from '../../constraints/index.js';
import type { RegularizerIdentifier } from '../../regularizers/index.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { type ConvWindowArgs, resolveConvWindow, WINDOW_OPTIONS } from './base_conv.js';

export interface DepthwiseConvArgs extends LayerArgs, ConvWindowArgs {
  /** Output channels made from each input channel. Default 1. */
  depthMultiplier?: number;
  /** Default: none (linear). */
  activation?: ActivationIdentifier;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  depthwiseInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  /** A penalty on the depthwise kernel added to the loss. Default none. */
  depthwiseRegularizer?: RegularizerIdentifier | null;
  /** Default none. */
  biasRegularizer?: RegularizerIdentifier | null;
  /** Applied to the depthwise kernel after each optimizer step. Default none. */
  depthwiseConstraint?: ConstraintIdentifier | null;
  /** Default none. */
  biasConstraint?: ConstraintIdentifier | null;
}

/** The options of the depthwise layers, and (with the pointwise ones) of the separable ones. */
export const DEPTHWISE_OPTIONS = [
  ...WINDOW_OPTIONS,
  'depthMultiplier',
  'activation',
  'useBias',
  'depthwiseInitializer',
  'biasInitializer',
  'depthwiseRegularizer',
  'biasRegularizer',
  'depthwiseConstraint',
  'biasConstraint',
];

/** A positive `depthMultiplier`, in Keras' words when it is not. */
export function resolveDepthMultiplier(value: number | undefined): number {
  const multiplier = value ?? 1;
  if (!Number.isInteger(multiplier) || multiplier <= 0) {
    throw new ValueError(`Invalid value for argument \`depth_multiplier\`. Expected a strictly positive value. Received depth_multiplier=${value}.`);
  }
  return multiplier;
}

/**
 * Depthwise convolution over `rank` spatial axes, channels last (DepthwiseConv1D,
 * DepthwiseConv2D): each input channel convolved with its own `depthMultiplier` filters.
 * Keras' weights: `kernel` [...kernelSize, channels, depthMultiplier], `bias`
 * [channels * depthMultiplier].
 */
export abstract class BaseDepthwiseConv extends Layer {
  /** The window size along each spatial axis. */
  readonly kernelSize: number[];
  /** The step along each spatial axis (default 1). */
  readonly strides: number[];
  /** 'valid' (the default) or 'same'. */
  readonly padding: ops.Padding;
  /** The dilation along each spatial axis (default 1). */
  readonly dilationRate: number[];
  /** Output channels made from each input channel (default 1). */
  readonly depthMultiplier: number;
  /** The activation applied to the output (null: linear). */
  readonly activation: ActivationIdentifier;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  /** The depthwise kernel [...kernelSize, channels, depthMultiplier] (after build). */
  kernel!: Variable;
  /** The bias [channels * depthMultiplier], if useBias. */
  bias?: Variable;
  private readonly depthwiseInitializer: InitializerIdentifier;
  private readonly biasInitializer: InitializerIdentifier;
  private readonly penalties: Record<'depthwise' | 'bias', WeightPenalties>;

  /** @param rank The number of spatial axes (1 or 2). */
  constructor(
    readonly rank: 1 | 2,
    kernelSize: number | number[],
    args: DepthwiseConvArgs = {},
  ) {
    super(args, DEPTHWISE_OPTIONS);
    if (kernelSize === undefined) throw new ValueError(`${this.constructor.name}: the argument \`kernelSize\` is required`);
    ({ kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate, padding: this.padding } = resolveConvWindow(rank, kernelSize, args, this.name));
    this.depthMultiplier = resolveDepthMultiplier(args.depthMultiplier);
    this.activation = args.activation ?? null;
    this.useBias = args.useBias ?? true;
    this.depthwiseInitializer = args.depthwiseInitializer ?? 'glorot_uniform';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
    getActivation(this.activation);
    getInitializer(this.depthwiseInitializer);
    getInitializer(this.biasInitializer);
    this.penalties = resolveWeightPenalties(args as Record<string, unknown>, ['depthwise', 'bias']);
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, this.rank + 2);
    const channels = inputShape[inputShape.length - 1] as number;
    this.kernel = this.addWeight({ name: 'kernel', shape: [...this.kernelSize, channels, this.depthMultiplier], initializer: this.depthwiseInitializer, ...this.penalties.depthwise });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [channels * this.depthMultiplier], initializer: this.biasInitializer, ...this.penalties.bias });
  }

  call(inputs: LayerInput): LayerOutput {
    let y: LayerOutput = ops.depthwiseConv(inputs, this.kernel, { strides: this.strides, padding: this.padding, dilationRate: this.dilationRate });
    if (this.bias) y = ops.add(y, this.bias);
    return getActivation(this.activation)(y);
  }

  getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      depthMultiplier: this.depthMultiplier,
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
