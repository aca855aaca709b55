// The public face of kiln.datasets: each dataset is a namespace with a Keras-style loadData().
export * as mnist from './mnist.js';
export * as fashionMnist from './fashionMnist.js';
export * as mnistDigits from './mnistDigits.js';
export type { DatasetSplits } from './imageClassification.js';
export type { LoadDataOptions } from './source.js';
export type { MnistDigitsOptions } from './mnistDigits.js';
