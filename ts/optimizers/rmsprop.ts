import { ValueError } from '../errors.js';
import { describeArgument } from '../layers/main_arguments.js';
import { Optimizer, type OptimizerArgs, type OptimizerSpec, optimizerArguments } from './optimizer.js';
import type { LearningRateSchedule } from './schedules/learning_rate_schedule.js';

export interface RMSpropArgs extends OptimizerArgs {
  /** Discount of the squared-gradient average. Default 0.9. */
  rho?: number;
  /** Default 0.0. */
  momentum?: number;
  /** Default 1e-7. */
  epsilon?: number;
  /** Normalise by the gradient's variance instead of its second moment. Default false. */
  centered?: boolean;
}

/** RMSprop with Keras 3's update rule and defaults (learningRate 0.001). */
export class RMSprop extends Optimizer {
  /** Discount of the squared-gradient average (default 0.9). */
  readonly rho: number;
  /** Momentum (default 0). */
  readonly momentum: number;
  /** Small constant for numerical stability (default 1e-7). */
  readonly epsilon: number;
  /** Whether gradients are normalised by their estimated variance (default false). */
  readonly centered: boolean;

  constructor(learningRate?: number | LearningRateSchedule | RMSpropArgs, args: RMSpropArgs = {}) {
    args = optimizerArguments<RMSpropArgs>(learningRate, args);
    super(args, 0.001, 'rmsprop', ['rho', 'momentum', 'epsilon', 'centered']);
    this.rho = args.rho ?? 0.9;
    this.momentum = args.momentum ?? 0;
    this.epsilon = args.epsilon ?? 1e-7;
    this.centered = args.centered ?? false;
    if (!(this.rho >= 0 && this.rho <= 1)) throw new ValueError(`RMSprop: \`rho\` must be between 0 and 1, got ${describeArgument(this.rho)}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new ValueError(`RMSprop: \`momentum\` must be between 0 and 1, got ${describeArgument(this.momentum)}`);
  }

  /** @internal The engine's description of the update rule. */
  spec(): OptimizerSpec {
    return { kind: 'rmsprop', rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}
