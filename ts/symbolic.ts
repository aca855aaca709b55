// Symbolic tensors: calling layers or ops on them records a graph node instead of computing
// (Keras 3's KerasTensor). `compile` sends the recorded graph to the Rust engine.
import type { Variable } from './variable.js';

/** A shape whose batch axis (and only that) may be unknown (`null`). */
export type Shape = (number | null)[];

/** One node as the engine reads it: `op` plus that op's parameters. */
export interface OpSpec {
  op: string;
  [parameter: string]: unknown;
}

export class SymbolicTensor {
  readonly dtype = 'float32';
  /** The layer call that produced this tensor, for model summaries. */
  sourceLayer?: { name: string };

  constructor(
    readonly shape: Shape,
    /** @internal */ readonly spec: OpSpec,
    /** @internal */ readonly inputs: SymbolicTensor[],
    /** The op or layer that made it, for messages. */
    readonly name: string,
    /** @internal Set on the node that reads a weight. */
    readonly variable?: Variable,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `<SymbolicTensor shape=[${this.shape.map((d) => (d === null ? 'null' : d)).join(', ')}], name=${this.name}>`;
  }
}

/** Formats a shape as Keras prints it in messages and summaries: (None, 128). */
export function formatShape(shape: Shape): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}

/** The names of the layers being called, innermost last: ops report errors against them. */
const layerStack: string[] = [];

export function withLayerContext<T>(name: string, f: () => T): T {
  layerStack.push(name);
  try {
    return f();
  } finally {
    layerStack.pop();
  }
}

export function currentLayerName(): string | undefined {
  return layerStack[layerStack.length - 1];
}
