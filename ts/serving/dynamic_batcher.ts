// Dynamic batching as TensorFlow Serving's batcher does it: requests queue, and one native
// predict serves as many as fit in `maxBatch` samples. A batch starts when it is full, when its
// first request has waited `batchTimeoutMs`, or at once when the model is idle and the timeout
// is 0. One predict runs at a time (its kernels already use every core).
import { HttpError } from './http_error.js';
import { sampleSize, type Predictor } from './predictor.js';

export interface BatchingOptions {
  /** Most samples merged into one predict (default 256); a larger request runs alone. */
  maxBatch: number;
  /** Longest a request waits for others to fill its batch, in ms (default 0: never waits). */
  batchTimeoutMs: number;
  /** Most samples waiting; requests beyond it get 503 (default 4096). */
  maxQueue: number;
}

interface Pending {
  inputs: Float32Array[];
  count: number;
  /** performance.now() when it arrived. */
  queuedAt: number;
  resolve: (outputs: Float32Array[]) => void;
  reject: (error: unknown) => void;
}

export class DynamicBatcher {
  private queue: Pending[] = [];
  private queued = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly predictor: Predictor,
    private readonly options: BatchingOptions,
    /** Told the size of every batch run, for the metrics. */
    private readonly onBatch: (samples: number) => void = () => {},
  ) {}

  /** Samples waiting for a batch. */
  get queuedSamples(): number {
    return this.queued;
  }

  predict(inputs: Float32Array[], count: number): Promise<Float32Array[]> {
    if (this.queued + count > this.options.maxQueue && this.queue.length > 0) {
      return Promise.reject(new HttpError(503, `the server is busy: ${this.queued} samples are waiting (limit ${this.options.maxQueue})`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ inputs, count, queuedAt: performance.now(), resolve, reject });
      this.queued += count;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queued >= this.options.maxBatch || this.options.batchTimeoutMs <= 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.runBatch();
    } else {
      const waited = performance.now() - this.queue[0].queuedAt;
      this.timer ??= setTimeout(
        () => {
          this.timer = undefined;
          if (!this.running) void this.runBatch();
        },
        Math.max(0, this.options.batchTimeoutMs - waited),
      );
    }
  }

  private take(): { batch: Pending[]; count: number } {
    const batch: Pending[] = [];
    let count = 0;
    while (this.queue.length > 0 && (batch.length === 0 || count + this.queue[0].count <= this.options.maxBatch)) {
      const next = this.queue.shift()!;
      batch.push(next);
      count += next.count;
    }
    this.queued -= count;
    return { batch, count };
  }

  private async runBatch(): Promise<void> {
    this.running = true;
    const { batch, count } = this.take();
    try {
      const joined = this.predictor.inputs.map((input, i) => {
        if (batch.length === 1) return batch[0].inputs[i];
        const all = new Float32Array(count * sampleSize(input.shape));
        let offset = 0;
        for (const p of batch) {
          all.set(p.inputs[i], offset);
          offset += p.inputs[i].length;
        }
        return all;
      });
      this.onBatch(count);
      const outputs = await this.predictor.predict(joined, count);
      let start = 0;
      for (const p of batch) {
        p.resolve(
          outputs.map((data, o) => {
            const size = sampleSize(this.predictor.outputs[o].shape);
            return data.subarray(start * size, (start + p.count) * size);
          }),
        );
        start += p.count;
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
