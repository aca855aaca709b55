// rnn (SimpleRNN, LSTM, GRU) as ONNX's RNN, LSTM and GRU operators. ONNX wants the weights
// per gate, transposed ([gates · units, features]), in its own gate order, and time-major data.
import { ValueError } from '../../../errors.js';
import { type AttributeValue, type ConstantValue, floats } from '../graph_builder.js';
import type { OpConversion, OpConverter } from '../op_conversion.js';
import { permuteConstant } from './layout.js';

type RnnSpec = Parameters<OpConverter<'rnn'>>[0]['spec'];

interface CellLayout {
  opType: string;
  /** For each ONNX gate, the index of Keras' gate block. */
  gateOrder: number[];
  /** ONNX's activations list, from Keras' activation and recurrent activation. */
  activations: (activation: string, recurrent: string) => string[];
  attributes?: Record<string, number>;
}

const CELLS: Record<RnnSpec['cell'], CellLayout> = {
  simple: { opType: 'RNN', gateOrder: [0], activations: (a) => [a] },
  // Keras' gates are i, f, c, o; ONNX's i, o, f, c. ONNX's f, g, h are Keras' recurrent
  // activation (gates), activation (candidate) and activation (output).
  lstm: { opType: 'LSTM', gateOrder: [0, 3, 1, 2], activations: (a, r) => [r, a, a] },
  // Both order z, r, h; Keras 3's reset_after is ONNX's linear_before_reset.
  gru: { opType: 'GRU', gateOrder: [0, 1, 2], activations: (a, r) => [r, a], attributes: { linear_before_reset: 1 } },
};

/** 'linear' is ONNX's Affine with alpha 1 and beta 0. */
const ONNX_ACTIVATIONS: Record<string, string> = { tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu', linear: 'Affine' };

function onnxActivation(op: OpConversion, name: string): string {
  const found = ONNX_ACTIVATIONS[name];
  if (!found)
    throw new ValueError(`Layer "${op.layerName}" cannot be exported to ONNX: its activation '${name}' is not one ONNX's recurrent operators offer (${Object.keys(ONNX_ACTIVATIONS).join(', ')})`);
  return found;
}

function weight(op: OpConversion, i: number, what: string): ConstantValue {
  const value = op.constant(i);
  if (!value) throw new ValueError(`Layer "${op.layerName}" cannot be exported to ONNX: its ${what} is computed in the graph, not a weight`);
  return value;
}

/** Keras' [rows, gates · units] matrix as ONNX's [1, gates · units, rows] in ONNX's gate order. */
function gateMajor(matrix: ConstantValue, gateOrder: number[], units: number): ConstantValue {
  const transposed = permuteConstant(matrix, [1, 0]);
  const rows = matrix.shape[0];
  const block = units * rows;
  const values = new Float32Array(transposed.values.length);
  gateOrder.forEach((source, target) => values.set(transposed.values.subarray(source * block, (source + 1) * block), target * block));
  return { shape: [1, gateOrder.length * units, rows], values };
}

/** ONNX's bias [1, 2 · gates · units]: input biases then recurrent biases, each in ONNX's gate order. */
function gateBias(bias: ConstantValue, gateOrder: number[], units: number, cell: RnnSpec['cell']): ConstantValue {
  const width = gateOrder.length * units;
  // GRU's bias is [2, 3 · units] (input and recurrent); the others have only an input bias.
  const parts = cell === 'gru' ? [bias.values.subarray(0, width), bias.values.subarray(width, 2 * width)] : [bias.values, new Float32Array(width)];
  const values = new Float32Array(2 * width);
  parts.forEach((part, p) => gateOrder.forEach((source, target) => values.set(part.subarray(source * units, (source + 1) * units), p * width + target * units)));
  return { shape: [1, 2 * width], values };
}

export const convertRnn: OpConverter<'rnn'> = (op) => {
  const { spec } = op;
  // ONNX's operators start each call from given or zero states: nothing carries them over.
  if (spec.stateful)
    throw new ValueError(
      `Layer "${op.layerName}" cannot be exported to ONNX: it is stateful (its states carry from batch to batch), which ONNX's recurrent operators cannot do; export a copy made with stateful: false`,
    );
  // What the converter does not translate is refused: an exported model that ignored it would compute something else.
  if (spec.masked) throw new ValueError(`Layer "${op.layerName}" cannot be exported to ONNX yet: it reads a mask (from Masking or an Embedding with maskZero), which the export does not translate`);
  if (spec.initial_state) throw new ValueError(`Layer "${op.layerName}" cannot be exported to ONNX yet: it is called with an initialState, which the export does not translate`);
  if (spec.return_state) throw new ValueError(`Layer "${op.layerName}" cannot be exported to ONNX yet: it returns its states (returnState), which the export does not translate`);
  const layout = CELLS[spec.cell];
  const { builder } = op;
  const name = (suffix: string) => `${op.node.inputs[1].name.replace(/\/[^/]*$/, '')}/${suffix}`;
  const W = builder.floatInitializer(name('W'), gateMajor(weight(op, 1, 'kernel'), layout.gateOrder, spec.units));
  const R = builder.floatInitializer(name('R'), gateMajor(weight(op, 2, 'recurrent kernel'), layout.gateOrder, spec.units));
  const B = builder.floatInitializer(name('B'), gateBias(weight(op, 3, 'bias'), layout.gateOrder, spec.units, spec.cell));
  const activations = layout.activations(onnxActivation(op, spec.activation), onnxActivation(op, spec.recurrent_activation));

  // [batch, steps, features] -> [steps, batch, features]; go_backwards reads the steps reversed.
  let x = builder.add('Transpose', [op.input(0)], { perm: [1, 0, 2] });
  if (spec.go_backwards) {
    const bound = (v: bigint) => builder.int64Initializer(`${op.layerName}/reverse`, [v]);
    x = builder.add('Slice', [x, bound(-1n), bound(-(2n ** 63n)), bound(0n), bound(-1n)]);
  }
  // Affine reads its alpha and beta from these lists. One entry per activation fits both ways
  // runtimes read them (an entry for each activation, or only for those taking one), as the
  // other activations ignore theirs.
  const affine: Record<string, AttributeValue> = activations.includes('Affine') ? { activation_alpha: floats(activations.map(() => 1)), activation_beta: floats(activations.map(() => 0)) } : {};
  const [sequence, last] = builder.addWithOutputs(layout.opType, [x, W, R, B], [spec.return_sequences, !spec.return_sequences], {
    hidden_size: spec.units,
    activations,
    ...affine,
    ...layout.attributes,
  });
  if (spec.return_sequences) {
    // Y is [steps, directions, batch, units].
    const squeezed = builder.add('Squeeze', [sequence, builder.int64Initializer(`${op.layerName}/axes`, [1])]);
    return builder.add('Transpose', [squeezed], { perm: [1, 0, 2] });
  }
  return builder.add('Squeeze', [last, builder.int64Initializer(`${op.layerName}/axes`, [0])]);
};
