import { RuntimeError } from '../errors.js';
import { Callback, type Logs } from './callback.js';
import { checkOptionNames } from '../utils/options.js';

/** The options of TerminateOnNaN; unknown keys are refused. */
export interface TerminateOnNaNArgs {
  /** Throw a RuntimeError (fit rejects, onTrainEnd is not called) instead of stopping gracefully (default false). */
  raiseError?: boolean;
}

/**
 * Stops training when the loss becomes NaN or infinite: Keras' `TerminateOnNaN`.
 *
 * It checks the running loss of the epoch after each native run of batches, so `fit` keeps
 * running batches in chunks: a NaN or infinite batch loss makes the running loss NaN or
 * infinite, so none is missed; training stops at the end of that run (the batch it reports
 * is the run's last).
 */
export class TerminateOnNaN extends Callback {
  readonly batchHooksPerRun = true;
  /** Whether it throws a RuntimeError instead of stopping gracefully. */
  readonly raiseError: boolean;

  constructor(args: TerminateOnNaNArgs = {}) {
    super();
    checkOptionNames('TerminateOnNaN', args, ['raiseError']);
    this.raiseError = Boolean(args.raiseError);
  }

  onTrainBatchEnd(batch: number, logs?: Logs): void {
    const loss = logs?.loss;
    if (loss === undefined || Number.isFinite(loss)) return;
    if (this.raiseError) throw new RuntimeError(`NaN or Inf loss encountered at batch ${batch}. Loss value: ${loss}. Terminating training immediately.`);
    console.log(`Batch ${batch}: Invalid loss, terminating training`);
    this.model!.stopTraining = true;
  }
}
