// The engines inference runs on: made from the model's graph alone (no losses, no gradient
// buffers), so their plans hold only the forward pass, and predicting at new batch sizes never
// displaces the plans fit keeps.
import type { NativeEngine } from '../../native.cjs';
import { buildGraphSpec } from '../models/graph_spec.js';
import { callNative, native } from '../native.js';
import type * as schema from '../native_schema.js';
import type { SymbolicTensor } from '../symbolic.js';
import { Tensor } from '../tensor.js';

/** A native engine that runs the graph from `inputs` to `outputs`, for inference only. */
export function inferenceEngine(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): NativeEngine {
  const { graph, variables } = buildGraphSpec(inputs, outputs);
  const spec: schema.EngineSpec = { graph, trainable: variables.map(() => false), optimizer: null };
  return callNative(() => new native.NativeEngine(JSON.stringify(spec), variables.map((v) => v.handle)));
}

/** The outputs on all of `xs` as one batch, computed now (the engine checks their shapes and keeps a plan per shape). */
export function predictOnBatchNow(engine: NativeEngine, xs: Tensor[]): Tensor[] {
  const handles = callNative(() => engine.predictOnBatch(xs.map((t) => t.handle)));
  return handles.map((h) => new Tensor(h));
}
