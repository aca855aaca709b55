/**
 * Building, training, saving and loading models: `Model` (functional and subclassed), `Sequential`,
 * `loadModel` / `saveModel`, `cloneModel` and `modelFromJSON`.
 * @module
 */
export { Model, type CompileArgs, type EvaluateArgs, type FitArgs, type ModelArgs, type PredictArgs, type StepData, type TestOnBatchArgs, type TrainOnBatchArgs } from './model.js';
export { Sequential } from './sequential.js';
export { cloneModel, modelFromJSON } from '../saving/model_json.js';
export { loadModel, saveModel, type LoadModelOptions } from '../saving/save_model.js';
