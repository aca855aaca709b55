import { ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

export interface LayerNormalizationArgs extends LayerArgs {
  /** Only -1 (the last axis). */
  axis?: number;
  /** Default 1e-3. */
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
}

/** Normalises each sample over its last axis, then scales and shifts (no batch statistics). */
export class LayerNormalization extends Layer {
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma?: Variable;
  beta?: Variable;
  private readonly initializers: Record<'beta' | 'gamma', InitializerIdentifier>;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args, ['axis', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer']);
    if ((args.axis ?? -1) !== -1) throw new ValueError(`Layer "${this.name}": only axis -1 is supported, got ${args.axis}`);
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.initializers = { beta: args.betaInitializer ?? 'zeros', gamma: args.gammaInitializer ?? 'ones' };
    Object.values(this.initializers).forEach(getInitializer);
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    this.requireRank(shape, Math.max(2, shape.length));
    const c = [shape[shape.length - 1] as number];
    if (this.scale) this.gamma = this.addWeight({ name: 'gamma', shape: c, initializer: this.initializers.gamma });
    if (this.center) this.beta = this.addWeight({ name: 'beta', shape: c, initializer: this.initializers.beta });
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    // Built from ops, so the graph differentiates it: (x - mean) / sqrt(var + eps) · gamma + beta.
    const x = inputs as LayerInput;
    const centered = ops.sub(x, ops.mean(x, -1, true));
    const variance = ops.mean(ops.square(centered), -1, true);
    let y: LayerOutput = ops.div(centered, ops.sqrt(ops.add(variance, this.epsilon)));
    if (this.gamma) y = ops.mul(y, this.gamma);
    if (this.beta) y = ops.add(y, this.beta);
    return y;
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: -1, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
