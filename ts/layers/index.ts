export { Dense, type DenseArgs } from './core/dense.js';
export { InputLayer } from './core/input_layer.js';
export { Layer, type AddWeightOptions, type CallOptions, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from './layer.js';
export { Dropout } from './regularization/dropout.js';
export { Flatten } from './reshaping/flatten.js';
