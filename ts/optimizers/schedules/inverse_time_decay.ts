import { LearningRateSchedule } from './learning_rate_schedule.js';
import { flag, nonNegative, positive } from './schedule_arguments.js';
import { checkOptionNames } from '../../utils/options.js';

export interface InverseTimeDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole steps of `decaySteps` (default false). */
  staircase?: boolean;
}

/** initialLearningRate / (1 + decayRate * step / decaySteps): Keras' `InverseTimeDecay`. */
export class InverseTimeDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
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
