import { ValueError } from '../errors.js';
import { describeArgument } from '../layers/main_arguments.js';
import { Optimizer, type OptimizerArgs, type OptimizerSpec, optimizerArguments } from './optimizer.js';
import type { LearningRateSchedule } from './schedules/learning_rate_schedule.js';

export interface SGDArgs extends OptimizerArgs {
  /** Default 0.0. */
  momentum?: number;
  /** Default false. */
  nesterov?: boolean;
}

/**
 * Gradient descent with optional (Nesterov) momentum; Keras' defaults: learningRate 0.01.
 * @example
 * ```ts
 * const sgd = new kiln.optimizers.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true });
 * model.compile({ optimizer: sgd, loss: 'categorical_crossentropy' });
 * ```
 */
export class SGD extends Optimizer {
  /** Momentum, in [0, 1] (default 0). */
  readonly momentum: number;
  /** Whether Nesterov momentum is used (default false). */
  readonly nesterov: boolean;

  constructor(learningRate?: number | LearningRateSchedule | SGDArgs, args: SGDArgs = {}) {
    args = optimizerArguments<SGDArgs>(learningRate, args);
    super(args, 0.01, 'SGD', ['momentum', 'nesterov']);
    this.momentum = args.momentum ?? 0;
    this.nesterov = args.nesterov ?? false;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new ValueError(`SGD: \`momentum\` must be a float between [0, 1], got ${describeArgument(this.momentum)}`);
  }

  /** @internal The engine's description of the update rule. */
  spec(): OptimizerSpec {
    return { kind: 'sgd', momentum: this.momentum, nesterov: this.nesterov };
  }
}
