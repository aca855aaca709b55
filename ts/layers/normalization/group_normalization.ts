// Keras' GroupNormalization: the channels of `axis` split into `groups` equal groups, each
// sample normalised over its group (every other non-batch axis and the group's channels), then
// scaled and shifted per channel. groups -1 is instance normalisation (a group per channel).
import { ShapeError, ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import type { ConstraintIdentifier } from '../../constraints/index.js';
import type { RegularizerIdentifier } from '../../regularizers/index.js';
import { resolveAxes, withAxesLast } from '../axes.js';
import { resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument } from '../main_arguments.js';

export interface GroupNormalizationArgs extends LayerArgs {
  /** Number of groups (default 32); -1 for one group per channel. Must divide the channels. */
  groups?: number;
  /** The channel axis (default -1). */
  axis?: number;
  /** Default 1e-3. */
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
  /** Default 'zeros'. */
  betaInitializer?: InitializerIdentifier;
  /** Default 'ones'. */
  gammaInitializer?: InitializerIdentifier;
  /** A penalty on beta, added to the loss. Default none. */
  betaRegularizer?: RegularizerIdentifier | null;
  /** A penalty on gamma, added to the loss. Default none. */
  gammaRegularizer?: RegularizerIdentifier | null;
  /** Applied to beta after each optimizer step. Default none. */
  betaConstraint?: ConstraintIdentifier | null;
  /** Applied to gamma after each optimizer step. Default none. */
  gammaConstraint?: ConstraintIdentifier | null;
}

const OWN_OPTIONS = ['groups', 'axis', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'betaRegularizer', 'gammaRegularizer', 'betaConstraint', 'gammaConstraint'];

/**
 * Group normalization, as Keras' `GroupNormalization`: the channels are split into `groups`
 * (default 32; -1 for one per channel, instance normalization), and each sample is normalised
 * over each group's channels and the spatial axes, then scaled and shifted per channel. The
 * groups must divide the channels.
 */
export class GroupNormalization extends Layer {
  /** As given (-1 stays -1 until build, as Keras' config before build). */
  groups: number;
  /** The channel axis. */
  readonly axis: number;
  /** Added to the variance, for stability. */
  readonly epsilon: number;
  /** Whether an offset beta is learnt. */
  readonly center: boolean;
  /** Whether a scale gamma is learnt. */
  readonly scale: boolean;
  /** The learnt scale [channels], with `scale` (after build). */
  gamma?: Variable;
  /** The learnt offset [channels], with `center` (after build). */
  beta?: Variable;
  private readonly initializers: Record<'beta' | 'gamma', InitializerIdentifier>;
  private readonly penalties: Record<'beta' | 'gamma', WeightPenalties>;

  constructor(args: GroupNormalizationArgs = {}) {
    super(args, OWN_OPTIONS);
    args ??= {}; // null: Layer accepted it as no options
    const groups = args.groups ?? 32;
    if (!Number.isInteger(groups) || (groups <= 0 && groups !== -1)) {
      throw new ValueError(`Received an invalid value for argument \`groups\`, expected a positive integer (or \`-1\` for instance normalization). Received: groups=${describeArgument(groups)}`);
    }
    if (args.axis !== undefined && !Number.isInteger(args.axis)) throw new ValueError(`Layer "${this.name}": \`axis\` must be an integer (the channel axis), got ${describeArgument(args.axis)}`);
    if (args.epsilon !== undefined && !(typeof args.epsilon === 'number' && args.epsilon >= 0))
      throw new ValueError(`Layer "${this.name}": epsilon must be a non-negative number, got ${describeArgument(args.epsilon)}`);
    this.groups = groups;
    this.axis = args.axis ?? -1;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.initializers = { beta: args.betaInitializer ?? 'zeros', gamma: args.gammaInitializer ?? 'ones' };
    Object.values(this.initializers).forEach(getInitializer);
    this.penalties = resolveWeightPenalties(args as Record<string, unknown>, ['beta', 'gamma'] as const);
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    const [axis] = resolveAxes(this.name, this.axis, shape.length);
    const channels = shape[axis];
    if (channels === null)
      throw new ShapeError(`Axis ${this.axis} of input tensor should have a defined dimension but the layer received an input with shape [${shape.map((d) => d ?? 'null').join(', ')}].`);
    if (this.groups === -1) this.groups = channels;
    if (channels < this.groups) throw new ValueError(`Number of groups (${this.groups}) cannot be more than the number of channels (${channels}).`);
    if (channels % this.groups !== 0) throw new ValueError(`Number of groups (${this.groups}) must be a multiple of the number of channels (${channels}).`);
    if (this.scale) this.gamma = this.addWeight({ name: 'gamma', shape: [channels], initializer: this.initializers.gamma, ...this.penalties.gamma });
    if (this.center) this.beta = this.addWeight({ name: 'beta', shape: [channels], initializer: this.initializers.beta, ...this.penalties.beta });
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    const x = inputs as LayerInput;
    const rank = x.shape.length;
    const [axis] = resolveAxes(this.name, this.axis, rank);
    const channels = x.shape[axis] as number;
    const size = channels / this.groups;
    // Channel c belongs to group floor(c / size): averaging over a group's channels and back is
    // a product with this [channels, channels] matrix (1/size within a group), which keeps every
    // other axis free to be of unknown length.
    const groupMean = Array.from({ length: channels }, (_, i) => Array.from({ length: channels }, (_, j) => (Math.floor(i / size) === Math.floor(j / size) ? 1 / size : 0)));
    return withAxesLast(x, [axis], (moved) => {
      const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 1);
      // The mean over the group: over the spatial axes, then over the group's channels.
      const statistic = (t: LayerInput) => {
        const perChannel = spatial.length > 0 ? ops.mean(t, spatial, false) : t;
        let grouped: LayerOutput = ops.matmul(perChannel, groupMean);
        for (let i = 0; i < spatial.length; i++) grouped = ops.expandDims(grouped, 1);
        return grouped;
      };
      const mean = statistic(moved);
      const variance = statistic(ops.square(ops.sub(moved, mean)) as LayerInput);
      // Keras' form: x · inv + (beta − mean · inv), inv = gamma / sqrt(variance + epsilon).
      let inv: LayerOutput = ops.div(1, ops.sqrt(ops.add(variance, this.epsilon)));
      if (this.gamma) inv = ops.mul(inv, this.gamma);
      let offset: LayerOutput = ops.negative(ops.mul(mean, inv));
      if (this.beta) offset = ops.add(offset, this.beta);
      return ops.add(ops.mul(moved, inv), offset);
    });
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), groups: this.groups, axis: this.axis, epsilon: this.epsilon, center: this.center, scale: this.scale, ...weightPenaltiesConfig(this.penalties) };
  }
}
