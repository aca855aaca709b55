import { ValueError } from '../errors.js';
import type { Logs } from './callback.js';
import { countOption, numberOption } from './callback_options.js';
import { MonitorCallback, type MonitorMode } from './monitor_callback.js';
import { settableOptimizer } from './settable_optimizer.js';
import { checkOptionNames } from '../utils/options.js';

/** The options of ReduceLROnPlateau; unknown keys are refused. */
export interface ReduceLROnPlateauArgs {
  /** The logged quantity to watch (default 'val_loss'). */
  monitor?: string;
  /** The learning rate is multiplied by this, in [0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement before the rate is reduced (default 10). */
  patience?: number;
  /** 1 prints a line when the rate is reduced (default 0). */
  verbose?: number;
  /** 'min', 'max' or 'auto' (default: from the name; accuracy-like metrics 'max', else 'min'). */
  mode?: MonitorMode;
  /** A smaller change does not count as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The rate is never reduced below this (default 0). */
  minLr?: number;
}

/**
 * Reduces the optimizer's learning rate when a monitored quantity has stopped improving, and
 * logs the rate as `learning_rate` each epoch: Keras' `ReduceLROnPlateau`.
 */
export class ReduceLROnPlateau extends MonitorCallback {
  /** The factor the learning rate is multiplied by. */
  readonly factor: number;
  /** Epochs without improvement before the rate is reduced. */
  readonly patience: number;
  /** 1 prints a line when the rate is reduced. */
  readonly verbose: number;
  /** Epochs to wait after a reduction before counting again. */
  readonly cooldown: number;
  /** The lowest rate it sets. */
  readonly minLr: number;
  /** Epochs since the last improvement. */
  wait = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    checkOptionNames('ReduceLROnPlateau', args, ['monitor', 'factor', 'patience', 'verbose', 'mode', 'minDelta', 'cooldown', 'minLr']);
    const { monitor = 'val_loss', factor = 0.1, patience = 10, verbose = 0, mode = 'auto', minDelta = 1e-4, cooldown = 0, minLr = 0 } = args;
    super(monitor, mode, minDelta);
    if (typeof factor === 'number' && factor >= 1) throw new ValueError(`ReduceLROnPlateau does not support a factor >= 1.0. Received factor=${factor}`);
    this.factor = numberOption('ReduceLROnPlateau', 'factor', factor, 0, 1);
    this.patience = countOption('ReduceLROnPlateau', 'patience', patience);
    this.verbose = countOption('ReduceLROnPlateau', 'verbose', verbose);
    this.cooldown = countOption('ReduceLROnPlateau', 'cooldown', cooldown);
    this.minLr = numberOption('ReduceLROnPlateau', 'minLr', minLr, 0);
  }

  onTrainBegin(): void {
    settableOptimizer(this.model?.optimizer, 'ReduceLROnPlateau');
    this.resetMonitor();
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const optimizer = settableOptimizer(this.model?.optimizer, 'ReduceLROnPlateau');
    logs.learning_rate = optimizer.learningRate;
    const current = this.monitorValue(logs, 'Learning rate reduction is');
    if (current === undefined) return;
    if (this.inCooldown()) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (!this.inCooldown()) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const oldLr = optimizer.learningRate;
        if (oldLr > this.minLr) {
          const newLr = Math.max(oldLr * this.factor, this.minLr);
          optimizer.learningRate = newLr;
          if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${newLr}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }

  /** Whether it is waiting out the cooldown after a reduction. */
  inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }
}
