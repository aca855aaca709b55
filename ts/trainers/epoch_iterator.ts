// Keras' EpochIterator: which batches each epoch takes from a data adapter. Without
// `steps` an epoch is one pass; with it, epochs take `steps` batches each and (when
// `carryOver`, as fit's stepsPerEpoch) continue the current pass, a new one beginning when it ends.
import type { BatchRun, DataAdapter } from './data_adapters/index.js';

export class EpochIterator {
  private passOpen = false;
  private done = 0;
  /** Whether the current epoch continues a pass begun by an earlier epoch. */
  private continuing = false;
  /** Batches per pass, learned at the end of the first pass when the adapter cannot tell. */
  private learnedBatches?: number;

  constructor(
    readonly adapter: DataAdapter,
    private readonly steps: number | undefined,
    private readonly carryOver: boolean,
  ) {}

  /** Batches an epoch takes (for progress bars and callbacks' params), when known. */
  get numBatches(): number | undefined {
    const perPass = this.adapter.numBatches ?? this.learnedBatches;
    if (this.steps !== undefined) return perPass === undefined ? this.steps : Math.min(this.steps, perPass);
    return perPass === Infinity ? undefined : perPass;
  }

  /** Batches taken in the current epoch so far. */
  get batchesDone(): number {
    return this.done;
  }

  async startEpoch(): Promise<void> {
    this.done = 0;
    this.continuing = this.passOpen && this.carryOver && this.steps !== undefined;
    if (!this.continuing) await this.openPass();
  }

  /** The next run of at most `maxBatches` batches of this epoch; undefined when the epoch is over. */
  async nextRun(maxBatches: number): Promise<BatchRun | undefined> {
    if (this.steps !== undefined && this.done >= this.steps) return undefined;
    const limit = this.steps === undefined ? maxBatches : Math.min(maxBatches, this.steps - this.done);
    let run = await this.adapter.nextRun(limit);
    if (!run && this.continuing && this.done === 0) {
      // The carried-over pass had ended exactly at the last epoch's end: begin the next one.
      await this.openPass();
      run = await this.adapter.nextRun(limit);
    }
    this.continuing = false;
    if (!run) {
      this.passOpen = false;
      if (this.steps === undefined && this.adapter.numBatches === undefined) this.learnedBatches ??= this.done;
      if (this.steps !== undefined && this.done > 0) ranOutWarning();
      return undefined;
    }
    this.done += run.count;
    return run;
  }

  private async openPass(): Promise<void> {
    await this.adapter.newPass();
    this.passOpen = true;
  }
}

function ranOutWarning(): void {
  process.emitWarning(
    'Your input ran out of data; interrupting training. Make sure that your dataset or generator can generate at least `stepsPerEpoch * epochs` batches. You may need to use the `.repeat()` function when building your dataset.',
  );
}
