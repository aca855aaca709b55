import { LearningRateSchedule } from './learning_rate_schedule.js';
import { flag, nonNegative, positive } from './schedule_arguments.js';
import { checkOptionNames } from '../../utils/options.js';

export interface ExponentialDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole steps of `decaySteps` (default false). */
  staircase?: boolean;
}

/** initialLearningRate * decayRate ^ (step / decaySteps). */
export class ExponentialDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
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
