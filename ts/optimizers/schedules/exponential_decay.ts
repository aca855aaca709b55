import { LearningRateSchedule } from './learning_rate_schedule.js';
import { flag, nonNegative, positive } from './schedule_arguments.js';
import { checkOptionNames } from '../../utils/options.js';

/** The options of `ExponentialDecay`; unknown keys are refused. */
export interface ExponentialDecayArgs {
  /** The starting rate (non-negative). */
  initialLearningRate: number;
  /** Steps over which the rate is multiplied by `decayRate` once (positive). */
  decaySteps: number;
  /** The factor per `decaySteps` steps (positive). */
  decayRate: number;
  /** Decay in whole steps of `decaySteps` (default false). */
  staircase?: boolean;
}

/**
 * initialLearningRate * decayRate ^ (step / decaySteps).
 * @example
 * ```ts
 * const schedule = new kiln.optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96 });
 * const optimizer = new kiln.optimizers.SGD({ learningRate: schedule });
 * ```
 */
export class ExponentialDecay extends LearningRateSchedule {
  /** The starting rate. */
  readonly initialLearningRate: number;
  /** Steps per application of `decayRate`. */
  readonly decaySteps: number;
  /** The factor per `decaySteps` steps. */
  readonly decayRate: number;
  /** Whether the decay happens in whole steps of `decaySteps`. */
  readonly staircase: boolean;

  constructor(args: ExponentialDecayArgs) {
    super();
    // Keras' configs carry a `name`, which changes nothing computed.
    checkOptionNames('ExponentialDecay', args, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name']);
    const { initialLearningRate, decaySteps, decayRate, staircase = false } = args ?? ({} as ExponentialDecayArgs);
    this.initialLearningRate = nonNegative('ExponentialDecay', 'initialLearningRate', initialLearningRate);
    this.decaySteps = positive('ExponentialDecay', 'decaySteps', decaySteps);
    this.decayRate = positive('ExponentialDecay', 'decayRate', decayRate);
    this.staircase = flag('ExponentialDecay', 'staircase', staircase);
  }

  call(step: number): number {
    const p = step / this.decaySteps;
    return this.initialLearningRate * this.decayRate ** (this.staircase ? Math.floor(p) : p);
  }

  getConfig(): Record<string, unknown> {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase };
  }
}
