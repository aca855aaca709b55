import { ValueError } from '../errors.js';
import { describeArgument } from '../layers/main_arguments.js';
import { Optimizer, type OptimizerArgs, type OptimizerSpec, optimizerArguments } from './optimizer.js';
import type { LearningRateSchedule } from './schedules/learning_rate_schedule.js';

export interface LionArgs extends OptimizerArgs {
  /** Weight of the momentum in the update direction. Default 0.9. */
  beta1?: number;
  /** Decay of the momentum. Default 0.99. */
  beta2?: number;
}

/**
 * Lion (sign of an interpolated momentum), with Keras 3's update rule and defaults
 * (learningRate 0.001). Its steps are the learning rate in size, so it wants a rate 3-10x
 * smaller than Adam's.
 */
export class Lion extends Optimizer {
  /** Weight of the momentum in the update direction (default 0.9). */
  readonly beta1: number;
  /** Decay of the momentum (default 0.99). */
  readonly beta2: number;

  constructor(learningRate?: number | LearningRateSchedule | LionArgs, args: LionArgs = {}) {
    args = optimizerArguments<LionArgs>(learningRate, args);
    super(args, 0.001, 'lion', ['beta1', 'beta2']);
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.99;
    if (!(this.beta1 > 0 && this.beta1 <= 1)) {
      throw new ValueError(`Lion: \`beta1\` must be in the (0, 1] range, otherwise the optimizer degenerates to SignSGD. Received: beta1=${describeArgument(this.beta1)}`);
    }
  }

  /** @internal The engine's description of the update rule. */
  spec(): OptimizerSpec {
    return { kind: 'lion', beta_1: this.beta1, beta_2: this.beta2 };
  }
}
