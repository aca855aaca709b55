import { ValueError } from '../../errors.js';
import { LearningRateSchedule } from './learning_rate_schedule.js';
import { between, nonNegative, positive } from './schedule_arguments.js';
import { checkOptionNames } from '../../utils/options.js';

/** The options of `CosineDecayRestarts`; unknown keys are refused. */
export interface CosineDecayRestartsArgs {
  /** The starting rate (non-negative). */
  initialLearningRate: number;
  /** Steps of the first period. */
  firstDecaySteps: number;
  /** Each period is this many times longer than the one before (default 2). */
  tMul?: number;
  /** Each period starts from this many times the previous period's starting rate (default 1). */
  mMul?: number;
  /** The lowest rate as a fraction of initialLearningRate (default 0). */
  alpha?: number;
}

/** Cosine decay with warm restarts (SGDR, Loshchilov & Hutter): Keras' `CosineDecayRestarts`. */
export class CosineDecayRestarts extends LearningRateSchedule {
  /** The starting rate. */
  readonly initialLearningRate: number;
  /** Steps of the first period. */
  readonly firstDecaySteps: number;
  /** Growth factor of each period's length. */
  readonly tMul: number;
  /** Factor of each period's starting rate. */
  readonly mMul: number;
  /** The lowest rate as a fraction of initialLearningRate. */
  readonly alpha: number;

  constructor(args: CosineDecayRestartsArgs) {
    super();
    // Keras' configs carry a `name`, which changes nothing computed.
    checkOptionNames('CosineDecayRestarts', args, ['initialLearningRate', 'firstDecaySteps', 'tMul', 'mMul', 'alpha', 'name']);
    const { initialLearningRate, firstDecaySteps, tMul = 2, mMul = 1, alpha = 0 } = args ?? ({} as CosineDecayRestartsArgs);
    this.initialLearningRate = nonNegative('CosineDecayRestarts', 'initialLearningRate', initialLearningRate);
    this.firstDecaySteps = positive('CosineDecayRestarts', 'firstDecaySteps', firstDecaySteps);
    // Periods that shrink (tMul < 1) add up to a finite length, after which Keras' formula gives NaN.
    if (typeof tMul !== 'number' || !Number.isFinite(tMul) || tMul < 1) {
      throw new ValueError(`CosineDecayRestarts: Argument \`tMul\` must be a finite number >= 1 (each period at least as long as the one before). Received: tMul=${String(tMul)}`);
    }
    this.tMul = tMul;
    this.mMul = nonNegative('CosineDecayRestarts', 'mMul', mMul);
    this.alpha = between('CosineDecayRestarts', 'alpha', alpha, 0, 1);
  }

  call(step: number): number {
    let fraction = step / this.firstDecaySteps;
    let restart: number;
    if (this.tMul === 1) {
      restart = Math.floor(fraction);
      fraction -= restart;
    } else {
      // Periods first, first * tMul, first * tMul^2, ...: the restart index from the geometric sum.
      restart = Math.floor(Math.log(1 - fraction * (1 - this.tMul)) / Math.log(this.tMul));
      const elapsed = (1 - this.tMul ** restart) / (1 - this.tMul);
      fraction = (fraction - elapsed) / this.tMul ** restart;
    }
    const cosineDecayed = 0.5 * this.mMul ** restart * (1 + Math.cos(Math.PI * fraction));
    return this.initialLearningRate * ((1 - this.alpha) * cosineDecayed + this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return { initialLearningRate: this.initialLearningRate, firstDecaySteps: this.firstDecaySteps, tMul: this.tMul, mMul: this.mMul, alpha: this.alpha };
  }
}
