import { Optimizer, type OptimizerArgs, type OptimizerSpec, optimizerArguments } from './optimizer.js';
import type { LearningRateSchedule } from './schedules/learning_rate_schedule.js';

export interface NadamArgs extends OptimizerArgs {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7. */
  epsilon?: number;
}

/** Nadam (Adam with Nesterov momentum), with Keras 3's update rule and defaults (learningRate 0.001). */
export class Nadam extends Optimizer {
  /** Decay of the first-moment estimate (default 0.9). */
  readonly beta1: number;
  /** Decay of the second-moment estimate (default 0.999). */
  readonly beta2: number;
  /** Small constant for numerical stability (default 1e-7). */
  readonly epsilon: number;

  constructor(learningRate?: number | LearningRateSchedule | NadamArgs, args: NadamArgs = {}) {
    args = optimizerArguments<NadamArgs>(learningRate, args);
    super(args, 0.001, 'nadam', ['beta1', 'beta2', 'epsilon']);
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.999;
    this.epsilon = args.epsilon ?? 1e-7;
  }

  /** @internal The engine's description of the update rule. */
  spec(): OptimizerSpec {
    return { kind: 'nadam', beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon };
  }
}
