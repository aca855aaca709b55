// A kiln.data.Dataset (or an async iterable or generator wrapped in one): each batch goes to the
// engine as it arrives, so the data never needs to be in memory at once.
import { type Dataset, INFINITE_CARDINALITY } from '../../data/dataset.js';
import type { Element } from '../../data/element.js';
import type { BatchRun, DataAdapter, EngineData } from './data_adapter.js';

/** Turns one element of the dataset (batch `index` of its pass) into the engine's data. */
export type BatchConverter = (element: Element, index: number) => EngineData;

/** Keras' `TFDatasetAdapter` / `GeneratorDataAdapter`: one batch per run, as the dataset yields them. */
export class DatasetAdapter implements DataAdapter {
  readonly numBatches: number | undefined;
  private iterator?: AsyncIterator<Element>;
  private index = 0;
  /** The first batch, read by start() and not yet handed out. */
  private pending?: BatchRun;
  /** Whether the open iteration is the one start() began (the first pass uses it). */
  private startedByStart = false;

  constructor(
    private readonly dataset: Dataset,
    private readonly convert: BatchConverter,
  ) {
    const cardinality = dataset.cardinality();
    this.numBatches = cardinality >= 0 ? cardinality : cardinality === INFINITE_CARDINALITY ? Infinity : undefined;
  }

  async start(): Promise<void> {
    await this.open();
    this.startedByStart = true;
    this.pending = await this.read();
  }

  async newPass(): Promise<void> {
    if (this.startedByStart) {
      this.startedByStart = false;
      return;
    }
    await this.open();
  }

  async nextRun(): Promise<BatchRun | undefined> {
    this.startedByStart = false;
    const run = this.pending ?? (await this.read());
    this.pending = undefined;
    return run;
  }

  async close(): Promise<void> {
    const iterator = this.iterator;
    this.iterator = undefined;
    this.pending = undefined;
    await iterator?.return?.();
  }

  private async open(): Promise<void> {
    await this.close();
    this.iterator = this.dataset[Symbol.asyncIterator]();
    this.index = 0;
  }

  private async read(): Promise<BatchRun | undefined> {
    if (!this.iterator) return undefined;
    const result = await this.iterator.next();
    if (result.done) {
      this.iterator = undefined;
      return undefined;
    }
    const data = this.convert(result.value, this.index++);
    return { data, batchSize: data.inputs[0].shape[0], first: 0, count: 1 };
  }
}
