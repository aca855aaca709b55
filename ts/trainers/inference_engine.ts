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
  return callNative(
    () =>
      new native.NativeEngine(
        JSON.stringify(spec),
        variables.map((v) => v.handle),
      ),
  );
}

/** The outputs on all of `xs` as one batch, computed now (the engine checks their shapes and keeps a plan per shape). */
export function predictOnBatchNow(engine: NativeEngine, xs: Tensor[]): Tensor[] {
  const handles = callNative(() => engine.predictOnBatch(xs.map((t) => t.handle)));
  return handles.map((h) => new Tensor(h));
}

/**
 * Quick runs in a row without the event loop turning: past this, `predict` lets the loop turn
 * once (setImmediate, on this thread: no worker wake-up) before the next, so a loop of awaited
 * predicts (each a microtask after a quick run) still lets timers and I/O in about every
 * millisecond (quick runs take up to 0.05 ms).
 */
const QUICK_RUNS_PER_TURN = 20;
let quickRunsThisTurn = 0;
let turnWatched = false;

/** Counts a quick run; the count restarts when the event loop next turns. */
function noteQuickRun(): void {
  quickRunsThisTurn += 1;
  if (!turnWatched) {
    turnWatched = true;
    setImmediate(() => {
      quickRunsThisTurn = 0;
      turnWatched = false;
    }).unref();
  }
}

/**
 * `predict` of `xs` computed now when the engine measured such a run as quicker than a hop to
 * a worker thread and back (see crates/kiln-node/src/inference.rs), else undefined: the
 * caller then awaits `engine.predict`. The outputs are those `engine.predict` gives.
 */
export async function predictNowIfQuick(engine: NativeEngine, xs: Tensor[], batchSize: number): Promise<Tensor[] | undefined> {
  if (quickRunsThisTurn >= QUICK_RUNS_PER_TURN) await new Promise<void>((resolve) => setImmediate(resolve));
  const handles = callNative(() =>
    engine.predictIfQuick(
      xs.map((t) => t.handle),
      batchSize,
    ),
  );
  if (!handles) return undefined;
  noteQuickRun();
  return handles.map((h) => new Tensor(h));
}
