import { activationName, type ActivationIdentifier, getActivation } from '../../activations.js';
import { ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { ConstraintIdentifier } from '../../constraints/index.js';
import type { RegularizerIdentifier } from '../../regularizers/index.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { Layer, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { resolveConvWindow } from './base_conv.js';
import { DEPTHWISE_OPTIONS, type DepthwiseConvArgs, resolveDepthMultiplier } from './base_depthwise_conv.js';
import { describeArgument } from '../main_arguments.js';

export interface SeparableConvArgs extends DepthwiseConvArgs {
  /** Default 'glorot_uniform'. */
  pointwiseInitializer?: InitializerIdentifier;
  /** A penalty on the pointwise kernel added to the loss. Default none. */
  pointwiseRegularizer?: RegularizerIdentifier | null;
  /** Applied to the pointwise kernel after each optimizer step. Default none. */
  pointwiseConstraint?: ConstraintIdentifier | null;
}

const SEPARABLE_OPTIONS = [...DEPTHWISE_OPTIONS, 'pointwiseInitializer', 'pointwiseRegularizer', 'pointwiseConstraint'];

/**
 * Separable convolution over `rank` spatial axes, channels last (SeparableConv1D,
 * SeparableConv2D): a depthwise convolution, then a pointwise (1 x 1) one mixing the channels
 * into `filters` outputs. Keras' weights: `depthwise_kernel` [...kernelSize, channels,
 * depthMultiplier], `pointwise_kernel` [...ones, channels * depthMultiplier, filters], `bias`
 * [filters].
 */
export abstract class BaseSeparableConv extends Layer {
  /** The number of output channels. */
  readonly filters: number;
  /** The window size along each spatial axis. */
  readonly kernelSize: number[];
  /** The step along each spatial axis (default 1). */
  readonly strides: number[];
  /** 'valid' (the default) or 'same'. */
  readonly padding: ops.Padding;
  /** The dilation along each spatial axis (default 1). */
  readonly dilationRate: number[];
  /** Depthwise output channels per input channel (default 1). */
  readonly depthMultiplier: number;
  /** The activation applied to the output (null: linear). */
  readonly activation: ActivationIdentifier;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  /** The depthwise kernel [...kernelSize, channels, depthMultiplier] (after build). */
  depthwiseKernel!: Variable;
  /** The pointwise kernel [...ones, channels * depthMultiplier, filters] (after build). */
  pointwiseKernel!: Variable;
  /** The bias [filters], if useBias. */
  bias?: Variable;
  private readonly initializers: Record<'depthwise' | 'pointwise' | 'bias', InitializerIdentifier>;
  private readonly penalties: Record<'depthwise' | 'pointwise' | 'bias', WeightPenalties>;

  /** @param rank The number of spatial axes (1 or 2). */
  constructor(
    readonly rank: 1 | 2,
    filters: number,
    kernelSize: number | number[],
    args: SeparableConvArgs = {},
  ) {
    super(args, SEPARABLE_OPTIONS);
    if (!Number.isInteger(filters) || filters <= 0) {
      throw new ValueError(`Invalid value for argument \`filters\`. Expected a strictly positive value. Received filters=${describeArgument(filters)}`);
    }
    if (kernelSize === undefined) throw new ValueError(`${this.constructor.name}: the argument \`kernelSize\` is required`);
    this.filters = filters;
    ({ kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate, padding: this.padding } = resolveConvWindow(rank, kernelSize, args, this.name));
    this.depthMultiplier = resolveDepthMultiplier(args.depthMultiplier);
    this.activation = args.activation ?? null;
    this.useBias = args.useBias ?? true;
    this.initializers = {
      depthwise: args.depthwiseInitializer ?? 'glorot_uniform',
      pointwise: args.pointwiseInitializer ?? 'glorot_uniform',
      bias: args.biasInitializer ?? 'zeros',
    };
    getActivation(this.activation);
    Object.values(this.initializers).forEach((i) => getInitializer(i));
    this.penalties = resolveWeightPenalties(args as Record<string, unknown>, ['depthwise', 'pointwise', 'bias']);
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, this.rank + 2);
    const channels = inputShape[inputShape.length - 1] as number;
    const ones = this.kernelSize.map(() => 1);
    this.depthwiseKernel = this.addWeight({
      name: 'depthwise_kernel',
      shape: [...this.kernelSize, channels, this.depthMultiplier],
      initializer: this.initializers.depthwise,
      ...this.penalties.depthwise,
    });
    this.pointwiseKernel = this.addWeight({
      name: 'pointwise_kernel',
      shape: [...ones, channels * this.depthMultiplier, this.filters],
      initializer: this.initializers.pointwise,
      ...this.penalties.pointwise,
    });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [this.filters], initializer: this.initializers.bias, ...this.penalties.bias });
  }

  call(inputs: LayerInput): LayerOutput {
    let y: LayerOutput = ops.separableConv(inputs, this.depthwiseKernel, this.pointwiseKernel, { strides: this.strides, padding: this.padding, dilationRate: this.dilationRate });
    if (this.bias) y = ops.add(y, this.bias);
    return getActivation(this.activation)(y);
  }

  getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      depthMultiplier: this.depthMultiplier,
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
