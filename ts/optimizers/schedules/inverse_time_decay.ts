import { LearningRateSchedule } from './learning_rate_schedule.js';
import { flag, nonNegative, positive } from './schedule_arguments.js';
import { checkOptionNames } from '../../utils/options.js';

/** The options of `InverseTimeDecay`; unknown keys are refused. */
export interface InverseTimeDecayArgs {
  /** The starting rate (non-negative). */
  initialLearningRate: number;
  /** The step count the decay is measured in (positive). */
  decaySteps: number;
  /** How fast the rate falls (non-negative). */
  decayRate: number;
  /** Decay in whole steps of `decaySteps` (default false). */
  staircase?: boolean;
}

/** initialLearningRate / (1 + decayRate * step / decaySteps): Keras' `InverseTimeDecay`. */
export class InverseTimeDecay extends LearningRateSchedule {
  /** The starting rate. */
  readonly initialLearningRate: number;
  /** The step count the decay is measured in. */
  readonly decaySteps: number;
  /** How fast the rate falls. */
  readonly decayRate: number;
  /** Whether the decay happens in whole steps of `decaySteps`. */
  readonly staircase: boolean;

  constructor(args: InverseTimeDecayArgs) {
    super();
    // Keras' configs carry a `name`, which changes nothing computed.
    checkOptionNames('InverseTimeDecay', args, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name']);
    const { initialLearningRate, decaySteps, decayRate, staircase = false } = args ?? ({} as InverseTimeDecayArgs);
    this.initialLearningRate = nonNegative('InverseTimeDecay', 'initialLearningRate', initialLearningRate);
    this.decaySteps = positive('InverseTimeDecay', 'decaySteps', decaySteps);
    this.decayRate = nonNegative('InverseTimeDecay', 'decayRate', decayRate);
    this.staircase = flag('InverseTimeDecay', 'staircase', staircase);
  }

  call(step: number): number {
    const p = step / this.decaySteps;
    return this.initialLearningRate / (1 + this.decayRate * (this.staircase ? Math.floor(p) : p));
  }

  getConfig(): Record<string, unknown> {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase };
  }
}
