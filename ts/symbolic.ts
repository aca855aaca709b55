// Symbolic tensors: calling layers or ops on them records a graph node instead of computing
// (Keras 3's KerasTensor). `compile` sends the recorded graph to the Rust engine.
import type * as schema from './native_schema.js';
import type { DType } from './tensor.js';
import type { Variable } from './variable.js';

/**
 * What a symbolic tensor holds: a tensor dtype, or 'string' for a string Input (its data stays in
 * JavaScript and only the preprocessing layers that read strings may take it; see
 * models/data_stage.ts).
 */
export type SymbolicDType = DType | 'string';

/** A shape whose unknown axes are `null`: always the batch axis, and any axis declared so (a variable length). */
export type Shape = (number | null)[];

/**
 * One node's op as the engine reads it (kiln-core's `Op`, generated into native_schema.ts),
 * except that model inputs and weights are numbered when the graph is built (graph_spec.ts).
 */
export type OpSpec = schema.Op extends infer O ? (O extends { op: 'input' | 'variable' } ? Omit<O, 'index'> : O) : never;

/**
 * A placeholder for a tensor in a model being built (Keras 3's KerasTensor): it has a shape but no
 * values. `kiln.Input()` makes one; calling layers or kiln.ops on it records the graph a Model is
 * made from.
 */
export class SymbolicTensor {
  /** What data fed here is converted to (an Input's dtype, 'string' for text); everything computed is float32. */
  dtype: SymbolicDType = 'float32';
  /** The layer call that produced this tensor, for model summaries. */
  sourceLayer?: { name: string };
  /** Which call of `sourceLayer` made it, and which of that call's outputs it is (Keras' `name[node][tensor]`). */
  nodeIndex?: number;
  /** Which of that call's outputs it is. */
  tensorIndex?: number;
  /** @internal That call's inputs (a list for merging layers), so saving can rebuild the model. */
  layerCall?: LayerCall;

  constructor(
    /** Its shape, with `null` for unknown axes (always the batch axis). */
    readonly shape: Shape,
    /** @internal */ readonly spec: OpSpec,
    /** @internal */ readonly inputs: SymbolicTensor[],
    /** The op or layer that made it, for messages. */
    readonly name: string,
    /** @internal Set on the node that reads a weight. */
    readonly variable?: Variable,
  ) {}

  /** The number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** `<SymbolicTensor shape=[null, 10], name=dense>`. */
  toString(): string {
    return `<SymbolicTensor shape=[${this.shape.map((d) => (d === null ? 'null' : d)).join(', ')}], name=${this.name}>`;
  }
}

/** One call of a layer on symbolic inputs (Keras' Node). */
export interface LayerCall {
  layer: { name: string };
  inputs: SymbolicTensor[];
  /** Whether the layer was given a list (merging layers), as opposed to one tensor. */
  listInput: boolean;
  /** Increases with every call, so a layer's calls can be numbered in order. */
  order: number;
}

/** Formats a shape as Keras prints it in messages and summaries: (None, 128). */
export function formatShape(shape: Shape): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}

/** The layer calls in progress, innermost last: ops name them in errors, and while a layer
 * is traced on symbolic inputs its weights become graph nodes rather than constants. */
const layerStack: { name?: string; tracing: boolean }[] = [];

export function withLayerContext<T>(name: string, tracing: boolean, f: () => T): T {
  layerStack.push({ name, tracing });
  try {
    return f();
  } finally {
    layerStack.pop();
  }
}

export function currentLayerName(): string | undefined {
  for (let i = layerStack.length - 1; i >= 0; i--) if (layerStack[i].name !== undefined) return layerStack[i].name;
  return undefined;
}

/**
 * Whether a call is in progress (a layer's, or a function traced for its gradients): layers
 * called then belong to it and record no node of a model.
 */
export function insideCall(): boolean {
  return layerStack.length > 0;
}

/** Runs `f` recording ops on weights as graph nodes, inside no layer (kiln.valueAndGrad's trace). */
export function withTracing<T>(f: () => T): T {
  layerStack.push({ tracing: true });
  try {
    return f();
  } finally {
    layerStack.pop();
  }
}

/** Runs `f` outside every call in progress (a model building its own graph on first use). */
export function outsideCalls<T>(f: () => T): T {
  const saved = layerStack.splice(0);
  try {
    return f();
  } finally {
    layerStack.push(...saved);
  }
}

/** Whether a layer is being called on symbolic inputs (building a model's graph). */
export function tracing(): boolean {
  return layerStack[layerStack.length - 1]?.tracing ?? false;
}
