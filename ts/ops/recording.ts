// How ops run: eagerly on concrete tensors, or recorded as graph nodes when an argument is
// symbolic. Shared by ops.ts and the op families under ops/.
import { formatValue } from '../utils/options.js';
import { ValueError } from '../errors.js';
import { callNative, native } from '../native.js';
import type { OpInput } from '../ops.js';
import type * as schema from '../native_schema.js';
import { currentLayerName, type OpSpec, type Shape, SymbolicTensor, tracing } from '../symbolic.js';
import { Tensor, toTensor, type TensorLike } from '../tensor.js';
import { Variable } from '../variable.js';
import { activeTape } from '../gradients/tape.js';

/** Convolution and pooling padding, as Keras names it. */
export type Padding = schema.Padding;

/** Symbolic when an argument is, or when a weight is used while a layer is being traced. */
export function isSymbolic(args: OpInput[]): boolean {
  return args.some((a) => a instanceof SymbolicTensor || (a instanceof Variable && tracing()));
}

export function concrete(value: OpInput): Tensor {
  if (value instanceof Variable) return value.read();
  if (value instanceof SymbolicTensor) throw new ValueError('A symbolic tensor cannot be used where a concrete value is needed');
  return toTensor(value);
}

export function symbolic(value: OpInput): SymbolicTensor {
  if (value instanceof SymbolicTensor) return value;
  if (value instanceof Variable) return value.symbolic;
  const t = toTensor(value, 'float32');
  // Traced for gradients, data is fed to the graph rather than written into it.
  const tape = activeTape();
  if (tape) return tape.leaf(t);
  return new SymbolicTensor(t.shape, { op: 'constant', shape: t.shape, values: Array.from(t.dataSync()) }, [], 'constant');
}

export function where(): string {
  const layer = currentLayerName();
  return layer ? `Layer "${layer}": ` : '';
}

export function record(spec: OpSpec, inputs: SymbolicTensor[], shape: Shape): SymbolicTensor {
  // Strings never reach the engine: only the text and lookup layers read them, in JavaScript.
  const text = inputs.find((t) => t.dtype === 'string');
  if (text)
    throw new ValueError(
      `${where()}the op '${spec.op}' cannot take the string tensor ${text.toString()}: strings stay in JavaScript, where only a TextVectorization, StringLookup or Hashing layer reads them; apply one of those to the string Input first`,
    );
  return new SymbolicTensor(shape, spec, inputs, currentLayerName() ?? spec.op);
}

export function describe(shape: Shape): string {
  return `[${shape.map((d) => (d === null ? 'null' : d)).join(', ')}]`;
}

/** A per-spatial-axis setting given as one number or one per axis. */
export function perAxis(value: number | number[] | undefined, axes: number, fallback: number, name: string): number[] {
  const list = value === undefined ? new Array(axes).fill(fallback) : Array.isArray(value) ? value : new Array(axes).fill(value);
  if (list.length !== axes || list.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new ValueError(`${where()}\`${name}\` must be a positive integer or ${axes} of them, got ${formatValue(value)}`);
  }
  return list;
}

export function checkPadding(padding: string): Padding {
  if (padding !== 'valid' && padding !== 'same') throw new ValueError(`${where()}padding must be 'valid' or 'same', got ${formatValue(padding)}`);
  return padding;
}

/**
 * Runs a graph op on concrete inputs (through the same native kernels as a model) or records
 * it on symbolic ones. `outputShape` checks the inputs' shapes (batch axis possibly null) and
 * gives the result's.
 */
export function applyOp(spec: OpSpec, args: OpInput[], outputShape: (shapes: Shape[]) => Shape): Tensor | SymbolicTensor {
  if (isSymbolic(args)) {
    const inputs = args.map(symbolic);
    return record(spec, inputs, outputShape(inputs.map((t) => t.shape)));
  }
  const inputs = args.map(concrete);
  outputShape(inputs.map((t) => t.shape));
  return new Tensor(
    callNative(() =>
      native.runOp(
        JSON.stringify(spec),
        inputs.map((t) => t.handle),
        currentLayerName() ?? spec.op,
      ),
    ),
  );
}

/** The shape of a concrete or symbolic op argument. */
export function shapeOf(value: OpInput): Shape {
  return value instanceof SymbolicTensor || value instanceof Variable ? value.shape : toTensor(value as TensorLike).shape;
}
