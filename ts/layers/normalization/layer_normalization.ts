import { ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { checkAxisOption, resolveAxes, withAxesLast } from '../axes.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis or axes normalised together (each sample separately); default -1. */
  axis?: number | number[];
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
}

/** Normalises each sample over `axis` (default the last), then scales and shifts (no batch statistics). */
export class LayerNormalization extends Layer {
  /** The axis or axes normalised together. */
  readonly axis: number | number[];
  /** Added to the variance, for stability. */
  readonly epsilon: number;
  /** Whether an offset beta is learnt. */
  readonly center: boolean;
  /** Whether a scale gamma is learnt. */
  readonly scale: boolean;
  /** The learnt scale, with `scale` (after build). */
  gamma?: Variable;
  /** The learnt offset, with `center` (after build). */
  beta?: Variable;
  private readonly initializers: Record<'beta' | 'gamma', InitializerIdentifier>;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args, ['axis', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer']);
    args ??= {}; // null: Layer accepted it as no options
    this.axis = checkAxisOption(this.name, args.axis ?? -1, true);
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.initializers = { beta: args.betaInitializer ?? 'zeros', gamma: args.gammaInitializer ?? 'ones' };
    Object.values(this.initializers).forEach(getInitializer);
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    if (shape.length < 2) this.requireRank(shape, 2);
    const c = resolveAxes(this.name, this.axis, shape.length).map((a) => shape[a]);
    if (c.some((d) => d === null))
      throw new ValueError(`Layer "${this.name}": the normalised axes ${JSON.stringify(this.axis)} must have known sizes, got input shape [${shape.map((d) => d ?? 'null').join(', ')}]`);
    if (this.scale) this.gamma = this.addWeight({ name: 'gamma', shape: c as number[], initializer: this.initializers.gamma });
    if (this.center) this.beta = this.addWeight({ name: 'beta', shape: c as number[], initializer: this.initializers.beta });
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    // Built from ops, so the graph differentiates it: (x - mean) / sqrt(var + eps) · gamma + beta,
    // over the normalised axes moved to the end (gamma and beta then broadcast over the rest).
    const x = inputs as LayerInput;
    const axes = resolveAxes(this.name, this.axis, x.shape.length);
    return withAxesLast(x, axes, (moved) => {
      // The mean over several trailing axes, one axis at a time (equal groups: exact).
      const meanOfLast = (t: LayerInput) => axes.reduce<LayerInput>((m, _, i) => ops.mean(m, -1 - i, true) as LayerInput, t);
      const centered = ops.sub(moved, meanOfLast(moved)) as LayerInput;
      const variance = meanOfLast(ops.square(centered) as LayerInput);
      let y: LayerOutput = ops.div(centered, ops.sqrt(ops.add(variance, this.epsilon)));
      if (this.gamma) y = ops.mul(y, this.gamma);
      if (this.beta) y = ops.add(y, this.beta);
      return y;
    });
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
