import type { Tensor } from '../tensor.js';
import type { Logs } from './callback.js';
import { countOption, numberOption } from './callback_options.js';
import { MonitorCallback, type MonitorMode } from './monitor_callback.js';
import { checkOptionNames } from '../utils/options.js';

/** The options of EarlyStopping; unknown keys are refused. */
export interface EarlyStoppingArgs {
  /** The logged quantity to watch (default 'val_loss'). */
  monitor?: string;
  /** A smaller change does not count as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before training stops (default 0). */
  patience?: number;
  /** 1 prints a line when the callback acts (default 0). */
  verbose?: number;
  /** 'min', 'max' or 'auto' (default: from the name; accuracy-like metrics 'max', else 'min'). */
  mode?: MonitorMode;
  /** Training stops if the quantity does not beat this within `patience` epochs (default none). */
  baseline?: number;
  /** At the end, put back the weights of the best epoch (default false: keep the last ones). */
  restoreBestWeights?: boolean;
  /** Epochs to train before watching starts, a warm-up (default 0). */
  startFromEpoch?: number;
}

/**
 * Stops training when a monitored quantity has stopped improving: Keras' `EarlyStopping`.
 * @example
 * ```ts
 * const stop = new kiln.callbacks.EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
 * await model.fit(x, y, { epochs: 100, validationSplit: 0.2, callbacks: [stop] });
 * ```
 */
export class EarlyStopping extends MonitorCallback {
  /** Epochs without improvement before training stops. */
  readonly patience: number;
  /** 1 prints a line when the callback acts. */
  readonly verbose: number;
  /** The value the quantity must beat within `patience` epochs, if set. */
  readonly baseline?: number;
  /** Whether the best epoch's weights are put back at the end. */
  readonly restoreBestWeights: boolean;
  /** Epochs trained before watching starts. */
  readonly startFromEpoch: number;
  /** Epochs since the last improvement. */
  wait = 0;
  /** The epoch training stopped at (0 when it did not stop early). */
  stoppedEpoch = 0;
  /** The epoch of the best value. */
  bestEpoch = 0;
  /** The weights at the end of the best epoch, when restoreBestWeights. */
  bestWeights?: Tensor[];

  constructor(args: EarlyStoppingArgs = {}) {
    checkOptionNames('EarlyStopping', args, ['monitor', 'minDelta', 'patience', 'verbose', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch']);
    const { monitor = 'val_loss', minDelta = 0, patience = 0, verbose = 0, mode = 'auto', baseline, restoreBestWeights = false, startFromEpoch = 0 } = args;
    super(monitor, mode, minDelta);
    this.patience = countOption('EarlyStopping', 'patience', patience);
    this.verbose = countOption('EarlyStopping', 'verbose', verbose);
    if (baseline !== undefined && baseline !== null) this.baseline = numberOption('EarlyStopping', 'baseline', baseline);
    this.restoreBestWeights = Boolean(restoreBestWeights);
    this.startFromEpoch = countOption('EarlyStopping', 'startFromEpoch', startFromEpoch);
  }

  onTrainBegin(): void {
    // The same instance may serve several fit calls.
    this.resetMonitor();
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestEpoch = 0;
    this.bestWeights = undefined;
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    const current = this.monitorValue(logs, 'Early stopping');
    if (current === undefined || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === undefined) {
      // Until something improves, the first watched epoch is the best.
      this.bestWeights = this.model!.getWeights();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.model!.getWeights();
      // Patience restarts only when the value beats the baseline as well as the best so far.
      if (this.baseline === undefined || this.isImprovement(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== undefined) {
      if (this.verbose > 0) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.model!.setWeights(this.bestWeights);
    }
  }
}
