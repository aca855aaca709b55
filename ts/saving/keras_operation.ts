// Keras 3 records arithmetic written on symbolic tensors in a functional model (`x + 3.0`,
// `relu(x) * (1 / 6)`, as MobileNetV3 does) as operation nodes of keras.src.ops: in a config,
// `{ module: 'keras.src.ops.numpy', class_name: 'Add' }` called on args mixing tensors and
// numbers. kiln rebuilds each as a layer running the same kiln.ops function.
import { FileFormatError } from '../errors.js';
import { Layer, type LayerConfig, type LayerInput, type LayerOutput } from '../layers/layer.js';
import * as ops from '../ops.js';

type Operand = LayerInput | number;

/** The Keras operations kiln rebuilds, by class name. */
const OPERATIONS: Record<string, (a: Operand, b: Operand) => LayerOutput> = {
  Add: (a, b) => ops.add(a, b) as LayerOutput,
  Subtract: (a, b) => ops.sub(a, b) as LayerOutput,
  Multiply: (a, b) => ops.mul(a, b) as LayerOutput,
  Divide: (a, b) => ops.div(a, b) as LayerOutput,
  TrueDivide: (a, b) => ops.div(a, b) as LayerOutput,
  Maximum: (a, b) => ops.maximum(a, b) as LayerOutput,
  Minimum: (a, b) => ops.minimum(a, b) as LayerOutput,
};

/**
 * Whether a serialised functional-model entry is a Keras operation rather than a layer: its
 * module says so, or (legacy .h5 configs have no module) it is called with several positional
 * arguments, which no layer is.
 */
export function isKerasOperation(spec: { module?: unknown; class_name: string; inbound_nodes?: unknown }): boolean {
  if (typeof spec.module === 'string') return spec.module.startsWith('keras.src.ops.');
  const first = Array.isArray(spec.inbound_nodes) ? (spec.inbound_nodes[0] as { args?: unknown } | undefined) : undefined;
  return spec.class_name in OPERATIONS && Array.isArray(first?.args) && first.args.length > 1;
}

/** One argument of the call: the i-th tensor input, or a number. */
export type OperationArgument = { tensor: number } | number;

/** A Keras operation node of a functional model, with its call's arguments. */
export class KerasOperation extends Layer {
  /**
   * @param operation Keras' class name (`Add`, `Multiply`, ...).
   * @param module Keras' module of it, written back when saving (legacy files name none).
   * @param args the call's arguments: tensor slots (in input order) and numbers.
   */
  constructor(
    readonly operation: string,
    readonly module: string,
    readonly args: OperationArgument[],
    name: string,
  ) {
    super({ name });
    if (!OPERATIONS[operation]) {
      throw new FileFormatError(`Keras operation '${operation}' (${module}, node '${name}') cannot be rebuilt by kiln; it rebuilds ${Object.keys(OPERATIONS).join(', ')} of tensors and numbers`);
    }
    if (args.length !== 2) throw new FileFormatError(`Keras operation '${operation}' (node '${name}') needs 2 arguments, got ${args.length}`);
  }

  /** The class name Keras shows for it (summaries). */
  get kerasClassName(): string {
    return this.operation;
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const [a, b] = this.args.map((arg) => (typeof arg === 'number' ? arg : list[arg.tensor]));
    return OPERATIONS[this.operation](a, b);
  }

  getConfig(): LayerConfig {
    return { name: this.name, trainable: this.trainable };
  }

  /** The call's arguments as Keras writes them, given a tensor's serialised reference. */
  kerasArgs<T>(inputs: T[]): (T | number)[] {
    return this.args.map((arg) => (typeof arg === 'number' ? arg : inputs[arg.tensor]));
  }
}
