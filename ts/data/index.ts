// The public face of kiln.data: streaming datasets for fit, evaluate and predict.
export { Dataset, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, type BatchOptions, type ElementArgs, type FromGeneratorOptions, type ShuffleOptions } from './dataset.js';
export type { Element, ElementLike } from './element.js';
