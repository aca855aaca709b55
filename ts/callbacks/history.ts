import { Callback, type Logs } from './callback.js';

/** Records each epoch's logs; `fit` returns it. `history.history.loss[i]` is epoch i's loss. */
export class History extends Callback {
  readonly history: Record<string, number[]> = {};
  readonly epoch: number[] = [];

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      (this.history[key] ??= []).push(value);
    }
  }
}
