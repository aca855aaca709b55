import { Progbar } from '../utils/progbar.js';
import { Callback, type Logs } from './callback.js';

/** Prints `Epoch i/n` and Keras' progress bar (verbose 1) or one line per epoch (verbose 2). */
export class ProgbarLogger extends Callback {
  private bar?: Progbar;

  constructor(private readonly verbose: 1 | 2 = 1) {
    super();
  }

  onEpochBegin(epoch: number): void {
    const { epochs = 1, steps = 0 } = this.params ?? {};
    process.stdout.write(`Epoch ${epoch + 1}/${epochs}\n`);
    this.bar = new Progbar(steps, { verbose: this.verbose });
  }

  /** @internal fit reports progress here once per native run of batches. */
  progress(batchesDone: number, logs: Logs): void {
    this.bar?.update(batchesDone, logs, false);
  }

  onEpochEnd(_epoch: number, logs: Logs = {}): void {
    this.bar?.update(this.params?.steps ?? 0, logs, true);
  }
}
