import { ValueError } from '../errors.js';
import { LearningRateSchedule } from './schedules/learning_rate_schedule.js';

export interface OptimizerArgs {
  /** A number or a schedule; each optimizer has Keras' default. */
  learningRate?: number | LearningRateSchedule;
  name?: string;
}

/** What the engine needs to build the update rule. */
export type OptimizerSpec = { kind: string } & Record<string, number | boolean | string>;

/**
 * Base of every optimizer. The update rule runs in Rust; a subclass names its rule and
 * settings in `spec()`. The learning rate is evaluated here per step, so schedules (and
 * custom ones) work unchanged.
 */
export abstract class Optimizer {
  name: string;
  private _learningRate: number | LearningRateSchedule;
  /** Steps taken so far (updated by the model after each run). */
  iterations = 0;

  constructor(args: OptimizerArgs, defaultLearningRate: number, name: string) {
    this.name = args.name ?? name;
    this._learningRate = checkLearningRate(args.learningRate ?? defaultLearningRate, this.name);
  }

  get learningRate(): number | LearningRateSchedule {
    return this._learningRate;
  }

  set learningRate(value: number | LearningRateSchedule) {
    this._learningRate = checkLearningRate(value, this.name);
  }

  /** The learning rate for step `step` (from 0). */
  learningRateAt(step: number): number {
    const lr = this._learningRate;
    return lr instanceof LearningRateSchedule ? lr.call(step) : lr;
  }

  /** @internal The engine's description of the update rule. */
  abstract spec(): OptimizerSpec;
}

function checkLearningRate(value: number | LearningRateSchedule, name: string): number | LearningRateSchedule {
  if (value instanceof LearningRateSchedule) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(`${name}: learningRate must be a non-negative number or a LearningRateSchedule, got ${String(value)}`);
  }
  return value;
}
