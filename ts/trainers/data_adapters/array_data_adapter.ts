// Tensors and typed arrays in memory: the engine gathers each batch itself from the whole
// arrays, so a run of any length is one native call and nothing is copied per batch.
import { activeJob } from '../../distribution/distribution.js';
import { broadcastOrder } from '../../distribution/fit_sync.js';
import { native } from '../../native.js';
import type { BatchRun, DataAdapter, EngineData } from './data_adapter.js';

/** Keras' `ArrayDataAdapter`: batches of `batchSize` rows, reshuffled each pass when `shuffle`. */
export class ArrayDataAdapter implements DataAdapter {
  readonly numBatches: number;
  private order?: Uint32Array;
  private position = 0;

  constructor(
    private readonly data: EngineData,
    private readonly batchSize: number,
    private readonly shuffle: boolean,
  ) {
    this.numBatches = Math.ceil(data.inputs[0].shape[0] / batchSize);
  }

  /** Rows in the data (ranks of a distributed fit must agree on it). */
  get samples(): number {
    return this.data.inputs[0].shape[0];
  }

  async start(): Promise<void> {}

  async newPass(): Promise<void> {
    // Drawn when the pass begins (not before), so seeded runs shuffle as they always have.
    this.order = this.shuffle ? native.permutation(this.data.inputs[0].shape[0]) : undefined;
    // Distributed: every rank takes its part of each batch of rank 0's order.
    if (this.order && activeJob()) this.order = await broadcastOrder(this.order);
    this.position = 0;
  }

  async nextRun(maxBatches: number): Promise<BatchRun | undefined> {
    if (this.position >= this.numBatches) return undefined;
    const count = Math.min(maxBatches, this.numBatches - this.position);
    const run = { data: this.data, order: this.order, batchSize: this.batchSize, first: this.position, count };
    this.position += count;
    return run;
  }

  async close(): Promise<void> {}
}
