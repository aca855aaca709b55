import { ValueError } from '../errors.js';
import { describeArgument } from '../layers/main_arguments.js';
import { Optimizer, type OptimizerArgs, type OptimizerSpec, optimizerArguments } from './optimizer.js';
import type { LearningRateSchedule } from './schedules/learning_rate_schedule.js';

export interface AdagradArgs extends OptimizerArgs {
  /** Starting value of the squared-gradient sums. Default 0.1. */
  initialAccumulatorValue?: number;
  /** Default 1e-7. */
  epsilon?: number;
}

/** Adagrad with Keras 3's update rule and defaults (learningRate 0.001). */
export class Adagrad extends Optimizer {
  /** Starting value of the squared-gradient sums (default 0.1). */
  readonly initialAccumulatorValue: number;
  /** Small constant for numerical stability (default 1e-7). */
  readonly epsilon: number;

  constructor(learningRate?: number | LearningRateSchedule | AdagradArgs, args: AdagradArgs = {}) {
    args = optimizerArguments<AdagradArgs>(learningRate, args);
    super(args, 0.001, 'adagrad', ['initialAccumulatorValue', 'epsilon']);
    this.initialAccumulatorValue = args.initialAccumulatorValue ?? 0.1;
    this.epsilon = args.epsilon ?? 1e-7;
    if (!(this.initialAccumulatorValue >= 0)) throw new ValueError(`Adagrad: \`initialAccumulatorValue\` must be >= 0, got ${describeArgument(this.initialAccumulatorValue)}`);
  }

  /** @internal The engine's description of the update rule. */
  spec(): OptimizerSpec {
    return { kind: 'adagrad', initial_accumulator_value: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}
