import { Callback, type Logs } from './callback.js';

/** Records each epoch's logs; `fit` returns it. `history.history.loss[i]` is epoch i's loss. */
export class History extends Callback {
  /** Each logged quantity's value per epoch: `history.loss[i]` is epoch i's loss. */
  readonly history: Record<string, number[]> = {};
  /** The epochs trained, by index. */
  readonly epoch: number[] = [];

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      (this.history[key] ??= []).push(value);
    }
  }
}
