// Keras computes channels last ([batch, ..., channels]); ONNX's Conv, pooling and
// BatchNormalization want channels first. These helpers move between the two.
import { ShapeError } from '../../../errors.js';
import type { ConstantValue, OnnxGraphBuilder } from '../graph_builder.js';
import type { OpConversion } from '../op_conversion.js';

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** [b, d1, ..., c] -> [b, c, d1, ...] */
export const toChannelsFirst = (rank: number) => [0, rank - 1, ...range(1, rank - 1)];
/** [b, c, d1, ...] -> [b, d1, ..., c] */
export const toChannelsLast = (rank: number) => [0, ...range(2, rank), 1];

/** Computes `body` on the channels-first form of x and returns the result channels last. */
export function inChannelsFirst(builder: OnnxGraphBuilder, x: string, rank: number, body: (channelsFirst: string) => string): string {
  const first = builder.add('Transpose', [x], { perm: toChannelsFirst(rank) });
  return builder.add('Transpose', [body(first)], { perm: toChannelsLast(rank) });
}

/** The constant's values with its axes reordered (`perm[i]` is the source axis of axis i). */
export function permuteConstant(value: ConstantValue, perm: number[]): ConstantValue {
  const shape = perm.map((p) => value.shape[p]);
  const sourceStrides = value.shape.map((_, i) => value.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const strides = perm.map((p) => sourceStrides[p]);
  const out = new Float32Array(value.values.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let source = 0;
    for (let k = 0; k < shape.length; k++) source += index[k] * strides[k];
    out[o] = value.values[source];
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++index[k] < shape[k]) break;
      index[k] = 0;
    }
  }
  return { shape, values: out };
}

/**
 * Input `i` with its axes permuted: stored permuted when it is a constant (a weight), else a
 * Transpose node.
 */
export function permutedInput(op: OpConversion, i: number, perm: number[], suffix: string): string {
  const constant = op.constant(i);
  if (constant) return op.builder.floatInitializer(`${op.node.inputs[i].name}/${suffix}`, permuteConstant(constant, perm));
  return op.builder.add('Transpose', [op.input(i)], { perm });
}

/**
 * ONNX's explicit pads [begin..., end...] for Keras' padding of each spatial axis: 'valid'
 * pads nothing; 'same' pads to ceil(size / stride) outputs, the odd cell at the end (as
 * TensorFlow does).
 */
export function windowPads(op: OpConversion, sizes: (number | null)[], window: number[], strides: number[], dilations: number[], padding: string): number[] {
  if (padding === 'valid') return new Array(2 * sizes.length).fill(0);
  const begin: number[] = [];
  const end: number[] = [];
  sizes.forEach((size, k) => {
    if (size === null)
      throw new ShapeError(
        `Layer "${op.layerName}" cannot be exported to ONNX with padding 'same' and an unknown spatial size (input shape [${op.node.inputs[0].shape.map((d) => d ?? 'null').join(', ')}])`,
      );
    const outputs = Math.ceil(size / strides[k]);
    const total = Math.max(0, (outputs - 1) * strides[k] + (window[k] - 1) * dilations[k] + 1 - size);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  });
  return [...begin, ...end];
}
