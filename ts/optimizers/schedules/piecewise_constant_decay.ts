import { ValueError } from '../../errors.js';
import { LearningRateSchedule } from './learning_rate_schedule.js';
import { nonNegative } from './schedule_arguments.js';
import { checkOptionNames } from '../../utils/options.js';

/** The options of `PiecewiseConstantDecay`; unknown keys are refused. */
export interface PiecewiseConstantDecayArgs {
  /** Increasing step numbers where the rate changes. */
  boundaries: number[];
  /** The rates: `values[0]` up to and including `boundaries[0]`, ..., `values[n]` after `boundaries[n - 1]`; one more than `boundaries`. */
  values: number[];
}

/** A rate that is constant between boundaries: Keras' `PiecewiseConstantDecay`. */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  /** The steps where the rate changes. */
  readonly boundaries: number[];
  /** The rate in each interval (one more than `boundaries`). */
  readonly values: number[];

  constructor(args: PiecewiseConstantDecayArgs) {
    super();
    // Keras' configs carry a `name`, which changes nothing computed.
    checkOptionNames('PiecewiseConstantDecay', args, ['boundaries', 'values', 'name']);
    const { boundaries, values } = args ?? ({} as PiecewiseConstantDecayArgs);
    if (!Array.isArray(boundaries)) throw new ValueError(`PiecewiseConstantDecay: Argument \`boundaries\` must be an array of step numbers. Received: boundaries=${String(boundaries)}`);
    if (!Array.isArray(values)) throw new ValueError(`PiecewiseConstantDecay: Argument \`values\` must be an array of learning rates. Received: values=${String(values)}`);
    if (boundaries.length !== values.length - 1) {
      throw new ValueError(
        `PiecewiseConstantDecay: The length of boundaries should be 1 less than the length of values. Received: boundaries=[${boundaries.join(', ')}] of length ${boundaries.length}, and values=[${values.join(', ')}] of length ${values.length}`,
      );
    }
    boundaries.forEach((b, i) => {
      if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b < boundaries[i - 1])) {
        throw new ValueError(`PiecewiseConstantDecay: Argument \`boundaries\` must be finite numbers in increasing order. Received: boundaries=[${boundaries.join(', ')}]`);
      }
    });
    values.forEach((v, i) => nonNegative('PiecewiseConstantDecay', `values[${i}]`, v));
    this.boundaries = [...boundaries];
    this.values = [...values];
  }

  call(step: number): number {
    const index = this.boundaries.findIndex((boundary) => step <= boundary);
    return this.values[index === -1 ? this.values.length - 1 : index];
  }

  getConfig(): Record<string, unknown> {
    return { boundaries: [...this.boundaries], values: [...this.values] };
  }
}
