import { ValueError } from '../errors.js';
import { Callback, type Logs } from './callback.js';
import { countOption } from './callback_options.js';
import { settableOptimizer } from './settable_optimizer.js';
import { checkedMainArguments } from '../layers/main_arguments.js';
import { describeValue } from '../utils/options.js';

/** Takes the epoch index (from 0) and the current learning rate; returns the epoch's rate. */
export type LearningRateScheduleFunction = (epoch: number, learningRate: number) => number | Promise<number>;

/**
 * Sets the optimizer's learning rate at the start of each epoch from `schedule(epoch, lr)`,
 * and logs it as `learning_rate`: Keras' `LearningRateScheduler`.
 */
export class LearningRateScheduler extends Callback {
  /** The function giving each epoch's rate. */
  readonly schedule: LearningRateScheduleFunction;
  /** 1 prints the rate set at each epoch (default 0). */
  readonly verbose: number;

  /** `verbose` 1 prints the rate it sets each epoch (default 0). */
  constructor(schedule: LearningRateScheduleFunction | { schedule: LearningRateScheduleFunction; verbose?: number }, verbose?: number) {
    const { main, options } = checkedMainArguments<{ verbose?: number }>('LearningRateScheduler', [schedule, verbose === undefined ? {} : { verbose }], ['schedule'], ['verbose']);
    schedule = main[0] as LearningRateScheduleFunction;
    verbose = options.verbose ?? 0;
    super();
    if (typeof schedule !== 'function') throw new ValueError(`LearningRateScheduler: \`schedule\` must be a function (epoch, learningRate) => learningRate, got ${describeValue(schedule)}`);
    this.schedule = schedule;
    this.verbose = countOption('LearningRateScheduler', 'verbose', verbose);
  }

  async onEpochBegin(epoch: number): Promise<void> {
    const optimizer = settableOptimizer(this.model?.optimizer, 'LearningRateScheduler');
    const learningRate = await this.schedule(epoch, optimizer.learningRate);
    if (typeof learningRate !== 'number' || !Number.isFinite(learningRate)) {
      throw new ValueError(`LearningRateScheduler: The output of the \`schedule\` function should be a finite number. Got: ${describeValue(learningRate)}`);
    }
    optimizer.learningRate = learningRate;
    if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${learningRate}.`);
  }

  onEpochEnd(_epoch: number, logs: Logs = {}): void {
    logs.learning_rate = settableOptimizer(this.model?.optimizer, 'LearningRateScheduler').learningRate;
  }
}
