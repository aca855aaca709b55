import { LearningRateSchedule } from './learning_rate_schedule.js';
import { between, nonNegative, positive } from './schedule_arguments.js';
import { checkOptionNames } from '../../utils/options.js';

/** The options of `CosineDecay`; unknown keys are refused. */
export interface CosineDecayArgs {
  /** The starting rate (of the warm-up when `warmupTarget` is given). */
  initialLearningRate: number;
  /** Steps of the cosine decay (after the warm-up). */
  decaySteps: number;
  /** The final rate as a fraction of the decay's starting rate (default 0). */
  alpha?: number;
  /** Warm up linearly from `initialLearningRate` to this rate, then decay from it (default: no warm-up). */
  warmupTarget?: number;
  /** Steps of the warm-up (default 0; ignored without `warmupTarget`, as in Keras). */
  warmupSteps?: number;
}

/**
 * A cosine from the starting rate down to alpha times it over `decaySteps`, after an optional
 * linear warm-up (SGDR without restarts): Keras' `CosineDecay`.
 */
export class CosineDecay extends LearningRateSchedule {
  /** The starting rate. */
  readonly initialLearningRate: number;
  /** Steps of the cosine decay. */
  readonly decaySteps: number;
  /** The final rate as a fraction of the decay's starting rate. */
  readonly alpha: number;
  /** The rate the warm-up reaches, or undefined for no warm-up. */
  readonly warmupTarget?: number;
  /** Steps of the warm-up. */
  readonly warmupSteps: number;

  constructor(args: CosineDecayArgs) {
    super();
    // Keras' configs carry a `name`, which changes nothing computed.
    checkOptionNames('CosineDecay', args, ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps', 'name']);
    const { initialLearningRate, decaySteps, alpha = 0, warmupTarget, warmupSteps = 0 } = args ?? ({} as CosineDecayArgs);
    this.initialLearningRate = nonNegative('CosineDecay', 'initialLearningRate', initialLearningRate);
    this.decaySteps = positive('CosineDecay', 'decaySteps', decaySteps);
    this.alpha = between('CosineDecay', 'alpha', alpha, 0, 1);
    if (warmupTarget !== undefined && warmupTarget !== null) this.warmupTarget = nonNegative('CosineDecay', 'warmupTarget', warmupTarget);
    this.warmupSteps = nonNegative('CosineDecay', 'warmupSteps', warmupSteps);
  }

  call(step: number): number {
    if (this.warmupTarget === undefined) return this.decay(Math.min(step, this.decaySteps), this.initialLearningRate);
    step = Math.min(step, this.decaySteps + this.warmupSteps);
    if (step < this.warmupSteps) {
      return (this.warmupTarget - this.initialLearningRate) * (step / this.warmupSteps) + this.initialLearningRate;
    }
    return this.decay(step - this.warmupSteps, this.warmupTarget);
  }

  private decay(step: number, from: number): number {
    const cosineDecayed = 0.5 * (1 + Math.cos(Math.PI * (step / this.decaySteps)));
    return from * ((1 - this.alpha) * cosineDecayed + this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, alpha: this.alpha, warmupTarget: this.warmupTarget ?? null, warmupSteps: this.warmupSteps };
  }
}
