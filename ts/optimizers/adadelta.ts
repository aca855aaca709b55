import { ValueError } from '../errors.js';
import { describeArgument } from '../layers/main_arguments.js';
import { Optimizer, type OptimizerArgs, type OptimizerSpec, optimizerArguments } from './optimizer.js';
import type { LearningRateSchedule } from './schedules/learning_rate_schedule.js';

export interface AdadeltaArgs extends OptimizerArgs {
  /** Decay of the squared-gradient and squared-update averages. Default 0.95. */
  rho?: number;
  /** Default 1e-7. */
  epsilon?: number;
}

/**
 * Adadelta with Keras 3's update rule and defaults (learningRate 0.001, as Keras; the original
 * paper's rule corresponds to learningRate 1).
 */
export class Adadelta extends Optimizer {
  /** Decay of the squared-gradient and squared-update averages (default 0.95). */
  readonly rho: number;
  /** Small constant for numerical stability (default 1e-7). */
  readonly epsilon: number;

  constructor(learningRate?: number | LearningRateSchedule | AdadeltaArgs, args: AdadeltaArgs = {}) {
    args = optimizerArguments<AdadeltaArgs>(learningRate, args);
    super(args, 0.001, 'adadelta', ['rho', 'epsilon']);
    this.rho = args.rho ?? 0.95;
    this.epsilon = args.epsilon ?? 1e-7;
    if (!(this.rho >= 0 && this.rho <= 1)) throw new ValueError(`Adadelta: \`rho\` must be between 0 and 1, got ${describeArgument(this.rho)}`);
  }

  /** @internal The engine's description of the update rule. */
  spec(): OptimizerSpec {
    return { kind: 'adadelta', rho: this.rho, epsilon: this.epsilon };
  }
}
