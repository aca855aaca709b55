import { ValueError } from '../../errors.js';
import { LearningRateSchedule } from './learning_rate_schedule.js';

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
    const { initialLearningRate, decaySteps, decayRate, staircase = false } = args;
    if (!(initialLearningRate >= 0)) throw new ValueError(`ExponentialDecay: initialLearningRate must be >= 0, got ${initialLearningRate}`);
    if (!(decaySteps > 0)) throw new ValueError(`ExponentialDecay: decaySteps must be > 0, got ${decaySteps}`);
    if (!(decayRate > 0)) throw new ValueError(`ExponentialDecay: decayRate must be > 0, got ${decayRate}`);
    this.initialLearningRate = initialLearningRate;
    this.decaySteps = decaySteps;
    this.decayRate = decayRate;
    this.staircase = staircase;
  }

  call(step: number): number {
    const p = step / this.decaySteps;
    return this.initialLearningRate * this.decayRate ** (this.staircase ? Math.floor(p) : p);
  }

  getConfig(): Record<string, unknown> {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase };
  }
}
