// What every data source becomes for the trainer, as Keras 3's DataAdapter: passes over the
// data, each handed out in runs of batches, one run per native call.
import type { Tensor } from '../../tensor.js';

/** The engine's view of some data: model inputs (with custom losses' targets), targets, sample weights. */
export interface EngineData {
  inputs: Tensor[];
  targets: Tensor[];
  sampleWeights?: Tensor;
}

/** Consecutive batches of one pass that a single native call runs. */
export interface BatchRun {
  data: EngineData;
  /** The pass's sample order (shuffled arrays); undefined: the rows in order. */
  order?: Uint32Array;
  /** Rows per batch (the last batch of `data` may have fewer). */
  batchSize: number;
  /** Index in `data` of the run's first batch, and the number of batches. */
  first: number;
  count: number;
}

/** Keras' `data_adapter.DataAdapter`, reduced to what the trainer asks of a source. */
export interface DataAdapter {
  /** Batches in one pass: known for arrays and finite datasets, Infinity for `repeat()`, undefined when unknown. */
  readonly numBatches: number | undefined;
  /**
   * Readies the source before training starts: the first batch is read (for a Dataset) so the
   * model is built and its engine made from real data, as Keras' symbolic build.
   */
  start(): Promise<void>;
  /** Begins a new pass over the data (a new shuffle, a new iteration of a Dataset). */
  newPass(): Promise<void>;
  /** Up to `maxBatches` batches of the current pass; undefined once the pass is over. */
  nextRun(maxBatches: number): Promise<BatchRun | undefined>;
  /** Releases what the source holds open (a Dataset's iterator). */
  close(): Promise<void>;
}
