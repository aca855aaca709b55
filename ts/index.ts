// The public surface of kiln-nn, and nothing else.
export * as activations from './activations.js';
export * as callbacks from './callbacks/index.js';
export * as datasets from './datasets/index.js';
export { FileFormatError, KilnError, RuntimeError, ShapeError, ValueError } from './errors.js';
export * as initializers from './initializers.js';
export { Input, type InputArgs } from './layers/core/input_layer.js';
export * as layers from './layers/index.js';
export * as losses from './losses/index.js';
export * as metrics from './metrics/index.js';
export { Model, Sequential, type CompileArgs, type EvaluateArgs, type FitArgs, type ModelArgs, type PredictArgs } from './models/index.js';
export * as ops from './ops.js';
export * as optimizers from './optimizers/index.js';
export * as random from './random.js';
export { setSeed } from './random.js';
export { formatShape, type Shape, SymbolicTensor } from './symbolic.js';
export { Tensor, tensor, type DType, type NestedArray, type TensorLike, type TypedArray } from './tensor.js';
export * as utils from './utils/index.js';
export { Variable } from './variable.js';
