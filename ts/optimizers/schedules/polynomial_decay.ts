import { LearningRateSchedule } from './learning_rate_schedule.js';
import { flag, nonNegative, positive } from './schedule_arguments.js';
import { checkOptionNames } from '../../utils/options.js';

/** The options of `PolynomialDecay`; unknown keys are refused. */
export interface PolynomialDecayArgs {
  /** The starting rate (non-negative). */
  initialLearningRate: number;
  /** Steps to reach `endLearningRate` (positive). */
  decaySteps: number;
  /** The rate reached after `decaySteps` steps (default 0.0001). */
  endLearningRate?: number;
  /** The polynomial's power (default 1: linear). */
  power?: number;
  /** Start again from a higher rate after `decaySteps`, over a period that grows to the next multiple of it (default false). */
  cycle?: boolean;
}

/**
 * (initialLearningRate - endLearningRate) * (1 - step / decaySteps) ^ power + endLearningRate,
 * then endLearningRate (or a new cycle): Keras' `PolynomialDecay`.
 */
export class PolynomialDecay extends LearningRateSchedule {
  /** The starting rate. */
  readonly initialLearningRate: number;
  /** Steps to reach `endLearningRate`. */
  readonly decaySteps: number;
  /** The rate after `decaySteps`. */
  readonly endLearningRate: number;
  /** The polynomial's power. */
  readonly power: number;
  /** Whether the decay restarts after `decaySteps`. */
  readonly cycle: boolean;

  constructor(args: PolynomialDecayArgs) {
    super();
    // Keras' configs carry a `name`, which changes nothing computed.
    checkOptionNames('PolynomialDecay', args, ['initialLearningRate', 'decaySteps', 'endLearningRate', 'power', 'cycle', 'name']);
    const { initialLearningRate, decaySteps, endLearningRate = 0.0001, power = 1, cycle = false } = args ?? ({} as PolynomialDecayArgs);
    this.initialLearningRate = nonNegative('PolynomialDecay', 'initialLearningRate', initialLearningRate);
    this.decaySteps = positive('PolynomialDecay', 'decaySteps', decaySteps);
    this.endLearningRate = nonNegative('PolynomialDecay', 'endLearningRate', endLearningRate);
    this.power = nonNegative('PolynomialDecay', 'power', power);
    this.cycle = flag('PolynomialDecay', 'cycle', cycle);
  }

  call(step: number): number {
    let decaySteps = this.decaySteps;
    if (this.cycle) {
      // The first multiple of decaySteps at or after step (1 at step 0).
      decaySteps *= step === 0 ? 1 : Math.ceil(step / this.decaySteps);
    } else {
      step = Math.min(step, decaySteps);
    }
    const p = step / decaySteps;
    return (this.initialLearningRate - this.endLearningRate) * (1 - p) ** this.power + this.endLearningRate;
  }

  getConfig(): Record<string, unknown> {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, endLearningRate: this.endLearningRate, power: this.power, cycle: this.cycle };
  }
}
