import { Optimizer, type OptimizerArgs, type OptimizerSpec, optimizerArguments } from './optimizer.js';
import type { LearningRateSchedule } from './schedules/learning_rate_schedule.js';

export interface AdamArgs extends OptimizerArgs {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7. */
  epsilon?: number;
  /** Divide by the largest second-moment estimate seen so far (AMSGrad). Default false. */
  amsgrad?: boolean;
}

/**
 * Adam, with Keras 3's update rule and defaults (learningRate 0.001).
 * @example
 * ```ts
 * model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 3e-4, clipnorm: 1 }), loss: 'mse' });
 * // Keras' positional form works too: new kiln.optimizers.Adam(3e-4)
 * ```
 */
export class Adam extends Optimizer {
  /** Decay of the first-moment (mean) estimate (default 0.9). */
  readonly beta1: number;
  /** Decay of the second-moment estimate (default 0.999). */
  readonly beta2: number;
  /** Small constant for numerical stability (default 1e-7). */
  readonly epsilon: number;
  /** Whether the AMSGrad variant is used (default false). */
  readonly amsgrad: boolean;

  constructor(learningRate?: number | LearningRateSchedule | AdamArgs, args: AdamArgs = {}) {
    args = optimizerArguments<AdamArgs>(learningRate, args);
    super(args, 0.001, 'adam', ['beta1', 'beta2', 'epsilon', 'amsgrad']);
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.999;
    this.epsilon = args.epsilon ?? 1e-7;
    this.amsgrad = args.amsgrad ?? false;
  }

  /** @internal The engine's description of the update rule. */
  spec(): OptimizerSpec {
    return { kind: 'adam', beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}
