import type { Model } from '../models/model.js';

/** Numbers a hook receives: the running loss and metrics (`val_` ones at epoch end). */
export type Logs = Record<string, number>;

export interface TrainingParams {
  epochs: number;
  steps: number;
  verbose: number;
}

/**
 * Base of every callback, with Keras' hooks. Hooks may be async; `fit` waits for them.
 * Batch hooks slow training a little: batches then run one per native call.
 */
export class Callback {
  model?: Model;
  params?: TrainingParams;
  /**
   * Whether the batch hooks may run once per native run of batches, with the last batch's
   * index and the running logs (as Keras' `steps_per_execution`), so `fit` keeps running
   * batches in chunks. Default false: batch hooks see every batch.
   */
  readonly batchHooksPerRun: boolean = false;

  setModel(model: Model): void {
    this.model = model;
  }
  setParams(params: TrainingParams): void {
    this.params = params;
  }
  onTrainBegin(logs?: Logs): void | Promise<void> {}
  onTrainEnd(logs?: Logs): void | Promise<void> {}
  onEpochBegin(epoch: number, logs?: Logs): void | Promise<void> {}
  onEpochEnd(epoch: number, logs?: Logs): void | Promise<void> {}
  onTrainBatchBegin(batch: number, logs?: Logs): void | Promise<void> {}
  onTrainBatchEnd(batch: number, logs?: Logs): void | Promise<void> {}
  onTestBegin(logs?: Logs): void | Promise<void> {}
  onTestEnd(logs?: Logs): void | Promise<void> {}
  onTestBatchBegin(batch: number, logs?: Logs): void | Promise<void> {}
  onTestBatchEnd(batch: number, logs?: Logs): void | Promise<void> {}
  onPredictBegin(logs?: Logs): void | Promise<void> {}
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
