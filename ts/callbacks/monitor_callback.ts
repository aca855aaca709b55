import { ValueError } from '../errors.js';
import { Callback, type Logs } from './callback.js';
import { describeValue } from '../utils/options.js';

/** 'min': lower is better; 'max': higher is better; 'auto': from the monitored name. */
export type MonitorMode = 'auto' | 'min' | 'max';

/** Metrics that improve upwards; every other quantity (losses, errors) improves downwards. */
const HIGHER_IS_BETTER = /(^|_)(acc|accuracy|auc|precision|recall)(_\d+)?$/;

/**
 * Base of callbacks that watch one logged quantity and decide whether it improved
 * (EarlyStopping, ReduceLROnPlateau), as Keras' MonitorCallback.
 */
export abstract class MonitorCallback extends Callback {
  /** The logged quantity watched ('val_loss', 'val_accuracy', ...). */
  readonly monitor: string;
  /**
   * Whether lower ('min') or higher ('max') is better, or 'auto' (from the name). An unknown mode
   * falls back to 'auto' with a warning, as in Keras.
   */
  readonly mode: MonitorMode;
  /** The smallest change that counts as an improvement (absolute value). */
  readonly minDelta: number;
  /** The best value seen in this run (undefined before the first). */
  best?: number;
  private readonly higherIsBetter: boolean;
  private warned = false;

  constructor(monitor: string, mode: MonitorMode, minDelta: number) {
    super();
    const name = new.target.name;
    if (typeof monitor !== 'string' || monitor === '') throw new ValueError(`${name}: \`monitor\` must be the name of a logged quantity such as 'val_loss', got ${describeValue(monitor)}`);
    if (typeof minDelta !== 'number' || !Number.isFinite(minDelta)) throw new ValueError(`${name}: \`minDelta\` must be a finite number, got ${describeValue(minDelta)}`);
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') {
      console.warn(`${name} mode '${String(mode)}' is unknown, fallback to auto mode.`);
      mode = 'auto';
    }
    this.monitor = monitor;
    this.mode = mode;
    this.minDelta = Math.abs(minDelta);
    this.higherIsBetter = mode === 'max' || (mode === 'auto' && HIGHER_IS_BETTER.test(monitor.replace(/^val_/, '')));
  }

  /** Whether `current` beats `reference` by more than minDelta (anything beats undefined). */
  protected isImprovement(current: number, reference: number | undefined): boolean {
    if (reference === undefined) return true;
    return this.higherIsBetter ? current - this.minDelta > reference : current + this.minDelta < reference;
  }

  /** The monitored value, or undefined with a warning (once per run) naming the keys there are. */
  protected monitorValue(logs: Logs | undefined, warning: string): number | undefined {
    const value = logs?.[this.monitor];
    if (value === undefined && !this.warned) {
      this.warned = true;
      console.warn(`${warning} conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs ?? {}).join(',')}`);
    }
    return value;
  }

  /** Forgets the previous run: best value and the warning. */
  protected resetMonitor(): void {
    this.best = undefined;
    this.warned = false;
  }
}
