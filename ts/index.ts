// The public surface of kiln-nn, and nothing else.
export * as activations from './activations.js';
export * as callbacks from './callbacks/index.js';
export * as constraints from './constraints/index.js';
export * as data from './data/index.js';
export * as datasets from './datasets/index.js';
export { FileFormatError, KilnError, ResourceExhaustedError, RuntimeError, ShapeError, ValueError } from './errors.js';
export * as initializers from './initializers.js';
export { Input, type InputArgs } from './layers/core/input_layer.js';
export * as layers from './layers/index.js';
export * as losses from './losses/index.js';
export * as metrics from './metrics/index.js';
export * as models from './models/index.js';
export { Model, Sequential, type CompileArgs, type EvaluateArgs, type FitArgs, type ModelArgs, type PredictArgs, type StepData, type TestOnBatchArgs, type TrainOnBatchArgs } from './models/index.js';
export * as ops from './ops.js';
export * as optimizers from './optimizers/index.js';
export * as plot from './plot/index.js';
export * as random from './random.js';
export * as regularizers from './regularizers/index.js';
export * as serving from './serving/index.js';
export { setSeed } from './random.js';
export { formatShape, type Shape, SymbolicTensor } from './symbolic.js';
export { Tensor, tensor, type DType, type NestedArray, type TensorLike, type TypedArray } from './tensor.js';
export * as utils from './utils/index.js';
export { Variable } from './variable.js';
export * as wrappers from './wrappers/index.js';
// Custom training: gradients of a traced function, by the engine's autodiff.
export { grad, valueAndGrad, ValueAndGrads, type Aux, type ValueAndGradOptions } from './gradients/value_and_grad.js';
export type { GradientAndVariable } from './optimizers/gradient_applier.js';
