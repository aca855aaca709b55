export { Model, type CompileArgs, type EvaluateArgs, type FitArgs, type ModelArgs, type PredictArgs } from './model.js';
export { Sequential } from './sequential.js';
