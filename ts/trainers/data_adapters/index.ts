// Which adapter a source gets, as Keras' get_data_adapter: arrays, or a stream of batches.
import { Dataset } from '../../data/dataset.js';
import type { ElementLike } from '../../data/element.js';
import { Tensor } from '../../tensor.js';

export { ArrayDataAdapter } from './array_data_adapter.js';
export type { BatchRun, DataAdapter, EngineData } from './data_adapter.js';
export { type BatchConverter, DatasetAdapter } from './dataset_adapter.js';
export { unpackBatch } from './unpack_batch.js';

/** Batches as a stream: a kiln.data.Dataset, an async iterable or a generator object. */
export type BatchStream = Dataset | AsyncIterable<ElementLike> | Generator<ElementLike>;

/** Whether `x` is a stream of batches rather than arrays. */
export function isBatchStream(x: unknown): x is BatchStream {
  if (x instanceof Dataset) return true;
  if (typeof x !== 'object' || x === null || x instanceof Tensor || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  return typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || Object.prototype.toString.call(x) === '[object Generator]';
}

/**
 * A stream as a Dataset. An async iterable or a generator object is one pass (Keras'
 * generator inputs): train on it with `stepsPerEpoch`, or it ends after the first epoch.
 */
export function asDataset(x: BatchStream): Dataset {
  if (x instanceof Dataset) return x;
  return Dataset.fromGenerator(() => x as AsyncIterable<ElementLike>);
}

/** How a source is named in messages, as Keras names the input type. */
export function streamKind(x: BatchStream): string {
  return x instanceof Dataset ? 'kiln.data.Dataset' : 'generator';
}
