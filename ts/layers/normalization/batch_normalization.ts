import { ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import type { Shape } from '../../symbolic.js';
import { SymbolicTensor } from '../../symbolic.js';
import { type Tensor, tensor } from '../../tensor.js';
import type { Variable } from '../../variable.js';
import * as ops from '../../ops.js';
import { checkAxisOption, resolveAxes, withAxesLast } from '../axes.js';
import { Layer, type CallOptions, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

export interface BatchNormalizationArgs extends LayerArgs {
  /** The axis of the features (channels), normalised separately; default -1 (channels last), 1 for channels-first data. */
  axis?: number;
  /** Weight of the old value in the moving averages. Default 0.99. */
  momentum?: number;
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
  /** Default 'zeros'. */
  movingMeanInitializer?: InitializerIdentifier;
  /** Default 'ones'. */
  movingVarianceInitializer?: InitializerIdentifier;
}

/**
 * Normalises each channel with the batch's mean and variance while training, and with moving
 * averages of them at inference (Keras' defaults: momentum 0.99, epsilon 1e-3).
 */
export class BatchNormalization extends Layer {
  /** The features axis. */
  readonly axis: number;
  /** Weight of the old value in the moving averages. */
  readonly momentum: number;
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
  /** The moving average of the batch means (non-trainable; after build). */
  movingMean!: Variable;
  /** The moving average of the batch variances (non-trainable; after build). */
  movingVariance!: Variable;
  private readonly initializers: Record<'beta' | 'gamma' | 'movingMean' | 'movingVariance', InitializerIdentifier>;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, ['axis', 'momentum', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'movingMeanInitializer', 'movingVarianceInitializer']);
    args ??= {}; // null: Layer accepted it as no options
    this.axis = checkAxisOption(this.name, args.axis ?? -1, false) as number;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new ValueError(`Layer "${this.name}": momentum must be between 0 and 1, got ${this.momentum}`);
    if (!(this.epsilon > 0)) throw new ValueError(`Layer "${this.name}": epsilon must be positive, got ${this.epsilon}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.initializers = {
      beta: args.betaInitializer ?? 'zeros',
      gamma: args.gammaInitializer ?? 'ones',
      movingMean: args.movingMeanInitializer ?? 'zeros',
      movingVariance: args.movingVarianceInitializer ?? 'ones',
    };
    Object.values(this.initializers).forEach(getInitializer);
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    if (shape.length < 2) this.requireRank(shape, 2);
    const channels = shape[resolveAxes(this.name, this.axis, shape.length)[0]];
    if (channels === null) throw new ValueError(`Layer "${this.name}": axis ${this.axis} of the input must have a known size, got shape [${shape.map((d) => d ?? 'null').join(', ')}]`);
    const c = [channels as number];
    // Keras' weight order: gamma, beta, moving_mean, moving_variance.
    if (this.scale) this.gamma = this.addWeight({ name: 'gamma', shape: c, initializer: this.initializers.gamma });
    if (this.center) this.beta = this.addWeight({ name: 'beta', shape: c, initializer: this.initializers.beta });
    this.movingMean = this.addWeight({ name: 'moving_mean', shape: c, initializer: this.initializers.movingMean, trainable: false });
    this.movingVariance = this.addWeight({ name: 'moving_variance', shape: c, initializer: this.initializers.movingVariance, trainable: false });
  }

  call(inputs: LayerInput | LayerInput[], options: CallOptions = {}): LayerOutput {
    // The kernel normalises the last axis; another feature axis is moved there and back.
    const x = inputs as LayerInput;
    return withAxesLast(x, resolveAxes(this.name, this.axis, x.shape.length), (moved) => this.normalizeLastAxis(moved, options));
  }

  private normalizeLastAxis(x: LayerInput, options: CallOptions): LayerOutput {
    const c = this.movingMean.shape;
    const constant = (value: number) => tensor(new Float32Array(c[0]).fill(value), c);
    const gamma = this.gamma ?? constant(1);
    const beta = this.beta ?? constant(0);
    if (x instanceof SymbolicTensor) {
      // Keras: a BatchNormalization that is not trainable runs in inference mode, in fit too.
      return ops.batchNorm(x, gamma, beta, this.movingMean, this.movingVariance, this.epsilon, this.momentum, () => !this.trainable);
    }
    // Called eagerly (outside fit), Keras normalises with the moving statistics unless training.
    void options;
    const inv = ops.div(1, ops.sqrt(ops.add(this.movingVariance, this.epsilon)));
    return ops.add(ops.mul(ops.mul(ops.sub(x as Tensor, this.movingMean), inv), gamma), beta);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
