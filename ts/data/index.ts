/**
 * Streaming data, as `tf.data`: `Dataset` pipelines (from tensors or generators; map, batch,
 * shuffle, repeat, prefetch, ...) that fit, evaluate and predict read batch by batch, and the
 * Keras utilities that make them from files and arrays.
 * @module
 */
// The public face of kiln.data: streaming datasets for fit, evaluate and predict.
export { Dataset, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, type BatchOptions, type ElementArgs, type FromGeneratorOptions, type ShuffleOptions } from './dataset.js';
export type { Element, ElementLike } from './element.js';
export type { CsvOptions } from './csv_source.js';
export { imageDatasetFromDirectory, type ImageDataset, type ImageDatasetOptions } from './image_dataset_from_directory.js';
export type { Interpolation } from './image_resize.js';
export { timeseriesDatasetFromArray, type TimeseriesDatasetOptions } from '../utils/timeseries_dataset_from_array.js';
