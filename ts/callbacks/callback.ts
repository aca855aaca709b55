import type { Model } from '../models/model.js';

/** Numbers a hook receives: the running loss and metrics (`val_` ones at epoch end). */
export type Logs = Record<string, number>;

/** What `params` holds during a run: the settings of the fit, evaluate or predict call. */
export interface TrainingParams {
  /** The number of epochs. */
  epochs: number;
  /** The number of batches per epoch (0 until a stream's first epoch has counted them). */
  steps: number;
  /** The run's verbosity (0, 1 or 2). */
  verbose: number;
}

/**
 * Base of every callback, with Keras' hooks. Hooks may be async; `fit` waits for them.
 * Batch hooks slow training a little: batches then run one per native call.
 * @example
 * ```ts
 * class StopAtLoss extends kiln.callbacks.Callback {
 *   override onEpochEnd(epoch: number, logs?: kiln.callbacks.Logs) {
 *     if (logs && logs.loss < 0.05 && this.model) this.model.stopTraining = true;
 *   }
 * }
 * await model.fit(x, y, { epochs: 100, callbacks: [new StopAtLoss()] });
 * ```
 */
export class Callback {
  /** The model being trained, evaluated or used (set by the call before its first hook). */
  model?: Model;
  /** The run's settings (set by fit before onTrainBegin). */
  params?: TrainingParams;
  /**
   * Whether the batch hooks may run once per native run of batches, with the last batch's
   * index and the running logs (as Keras' `steps_per_execution`), so `fit` keeps running
   * batches in chunks. Default false: batch hooks see every batch.
   */
  readonly batchHooksPerRun: boolean = false;

  /** Sets `model`; fit, evaluate and predict call it. */
  setModel(model: Model): void {
    this.model = model;
  }
  /** Sets `params`; fit calls it. */
  setParams(params: TrainingParams): void {
    this.params = params;
  }
  /** Called at the start of `fit`. */
  onTrainBegin(logs?: Logs): void | Promise<void> {}
  /** Called at the end of `fit` (after the last epoch, or when `stopTraining` ended it). */
  onTrainEnd(logs?: Logs): void | Promise<void> {}
  /** Called at the start of each epoch (`epoch` counts from 0). */
  onEpochBegin(epoch: number, logs?: Logs): void | Promise<void> {}
  /**
   * Called at the end of each epoch with its logs: the training loss and metrics, and the
   * validation ones (`val_`) on epochs that validate.
   */
  onEpochEnd(epoch: number, logs?: Logs): void | Promise<void> {}
  /** Called before each training batch (`batch` counts from 0 within the epoch). */
  onTrainBatchBegin(batch: number, logs?: Logs): void | Promise<void> {}
  /** Called after each training batch, with the epoch's running logs. */
  onTrainBatchEnd(batch: number, logs?: Logs): void | Promise<void> {}
  /** Called at the start of `evaluate` and of each validation run. */
  onTestBegin(logs?: Logs): void | Promise<void> {}
  /** Called at the end of `evaluate` and of each validation run, with its logs. */
  onTestEnd(logs?: Logs): void | Promise<void> {}
  /** Called before each evaluation batch. */
  onTestBatchBegin(batch: number, logs?: Logs): void | Promise<void> {}
  /** Called after each evaluation batch, with the running logs. */
  onTestBatchEnd(batch: number, logs?: Logs): void | Promise<void> {}
  /** Called at the start of `predict`. */
  onPredictBegin(logs?: Logs): void | Promise<void> {}
  /** Called at the end of `predict`. */
  onPredictEnd(logs?: Logs): void | Promise<void> {}
}

/** Whether a callback defines a per-batch training hook (then fit runs batch by batch). */
export function wantsTrainBatches(callback: Callback): boolean {
  return callback.onTrainBatchBegin !== Callback.prototype.onTrainBatchBegin || callback.onTrainBatchEnd !== Callback.prototype.onTrainBatchEnd;
}

/** Whether a callback needs fit to run one batch per native call. */
export function wantsSingleBatches(callback: Callback): boolean {
  return wantsTrainBatches(callback) && !callback.batchHooksPerRun;
}

/** Calls a hook on every callback in order, waiting for each. */
export class CallbackList {
  constructor(readonly callbacks: Callback[]) {}

  async call<K extends keyof Callback>(hook: K, ...args: unknown[]): Promise<void> {
    for (const cb of this.callbacks) {
      const fn = cb[hook] as (...a: unknown[]) => void | Promise<void>;
      await fn.apply(cb, args);
    }
  }
}
