/**
 * Datasets, as Keras' `keras.datasets`: each is a namespace whose `loadData()` returns
 * `[[xTrain, yTrain], [xTest, yTest]]` in Keras' form, from a local copy or a verified download.
 * @module
 */
// The public face of kiln.datasets: each dataset is a namespace with a Keras-style loadData().
export * as mnist from './mnist.js';
export * as fashionMnist from './fashionMnist.js';
export * as mnistDigits from './mnistDigits.js';
export * as cifar10 from './cifar10.js';
export * as cifar100 from './cifar100.js';
export * as imdb from './imdb.js';
export * as bostonHousing from './bostonHousing.js';
export type { DatasetSplits } from './imageClassification.js';
export type { LoadDataOptions } from './source.js';
export type { MnistDigitsOptions } from './mnistDigits.js';
export type { Cifar100Options } from './cifar100.js';
export type { ImdbOptions, ImdbSplits } from './imdb.js';
export type { BostonHousingOptions } from './bostonHousing.js';
