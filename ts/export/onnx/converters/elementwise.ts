// Activations, arithmetic with numpy broadcasting (ONNX broadcasts the same way), and softmax.
import { ValueError } from '../../../errors.js';
import { float, type OnnxGraphBuilder } from '../graph_builder.js';
import type { OpConverter } from '../op_conversion.js';

/** Keras' SELU constants (the ONNX defaults, written out so no runtime's defaults matter). */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

type UnaryEmitter = (builder: OnnxGraphBuilder, x: string) => string;

const simple =
  (opType: string, attributes = {}): UnaryEmitter =>
  (builder, x) =>
    builder.add(opType, [x], attributes);

const UNARY: Record<string, UnaryEmitter> = {
  linear: simple('Identity'),
  relu: simple('Relu'),
  sigmoid: simple('Sigmoid'),
  tanh: simple('Tanh'),
  exp: simple('Exp'),
  log: simple('Log'),
  sqrt: simple('Sqrt'),
  neg: simple('Neg'),
  abs: simple('Abs'),
  softplus: simple('Softplus'),
  softsign: simple('Softsign'),
  square: (builder, x) => builder.add('Mul', [x, x]),
  elu: simple('Elu', { alpha: float(1) }),
  selu: simple('Selu', { alpha: float(SELU_ALPHA), gamma: float(SELU_SCALE) }),
  // Keras 3's hard sigmoid, relu6(x + 3) / 6, is clip(x / 6 + 1/2, 0, 1).
  hard_sigmoid: simple('HardSigmoid', { alpha: float(1 / 6), beta: float(0.5) }),
  leaky_relu: simple('LeakyRelu', { alpha: float(0.2) }),
  relu6: (builder, x) => builder.add('Clip', [x, builder.scalar(0), builder.scalar(6)]),
  swish: (builder, x) => builder.add('Mul', [x, builder.add('Sigmoid', [x])]),
  // Exact GELU (Keras' default): x · (1 + erf(x / √2)) / 2.
  gelu: (builder, x) => {
    const erf = builder.add('Erf', [builder.add('Div', [x, builder.scalar(Math.SQRT2)])]);
    return builder.add('Mul', [builder.add('Mul', [x, builder.add('Add', [erf, builder.scalar(1)])]), builder.scalar(0.5)]);
  },
};

const BINARY: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', maximum: 'Max', minimum: 'Min' };

function functionOf(op: Parameters<OpConverter<'unary' | 'binary'>>[0], table: Record<string, unknown>): string {
  const fn = op.spec.function;
  if (!(fn in table)) {
    throw new ValueError(`Layer "${op.layerName}" cannot be exported to ONNX: the ${op.spec.op} function '${fn}' has no ONNX equivalent here (supported: ${Object.keys(table).join(', ')})`);
  }
  return fn;
}

export const convertUnary: OpConverter<'unary'> = (op) => UNARY[functionOf(op, UNARY)](op.builder, op.input(0));

export const convertBinary: OpConverter<'binary'> = (op) => op.builder.add(BINARY[functionOf(op, BINARY)], [op.input(0), op.input(1)]);

/** kiln's softmax is over the last axis. */
export const convertSoftmax: OpConverter = (op) => op.builder.add('Softmax', [op.input(0)], { axis: -1 });
