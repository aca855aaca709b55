import { ValueError } from '../errors.js';
import { Adam, type AdamArgs } from './adam.js';
import { optimizerArguments } from './optimizer.js';
import type { LearningRateSchedule } from './schedules/learning_rate_schedule.js';

export interface AdamWArgs extends AdamArgs {
  /** Decoupled weight decay (w -= learningRate * weightDecay * w each step). Default 0.004. */
  weightDecay?: number;
}

/**
 * AdamW: Adam with decoupled weight decay, as Keras 3 defines it (learningRate 0.001,
 * weightDecay 0.004). The decay applies to every trained weight, biases included.
 */
export class AdamW extends Adam {
  constructor(learningRate?: number | LearningRateSchedule | AdamWArgs, args: AdamWArgs = {}) {
    args = optimizerArguments<AdamWArgs>(learningRate, args);
    super({ ...args, weightDecay: args.weightDecay ?? 0.004, name: args.name ?? 'adamw' });
    if (this.weightDecay === null) throw new ValueError('AdamW: `weightDecay` must be a number');
  }
}
