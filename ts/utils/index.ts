/**
 * Keras' `keras.utils`: progress bars, one-hot encoding, normalisation, sequence padding,
 * dataset splitting, datasets from arrays and image folders, and the registry of custom classes
 * for saving.
 * @module
 */
export { Progbar, type ProgbarOptions } from './progbar.js';
export { toCategorical } from './to_categorical.js';
export { registerSerializable, type RegisterOptions } from '../saving/registry.js';
export { normalize } from './normalize.js';
export { padSequences, type PadSequencesOptions, type Sequence } from './pad_sequences.js';
export { splitDataset, type SplitDatasetOptions } from './split_dataset.js';
export { timeseriesDatasetFromArray, type TimeseriesDatasetOptions } from './timeseries_dataset_from_array.js';
export { imageDatasetFromDirectory, type ImageDataset, type ImageDatasetOptions } from '../data/image_dataset_from_directory.js';
