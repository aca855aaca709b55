// Keras' encode_categorical_inputs: token ids to 'int', 'one_hot', 'multi_hot', 'count' (and
// the lookup layers' 'tf_idf', a count weighted per token), one list of output modes for every
// layer that encodes categories.
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { describeValue } from '../../utils/options.js';
import { type FlatData, outputTensor } from './data_layer.js';

export const ENCODED_OUTPUT_MODES = ['one_hot', 'multi_hot', 'count'] as const;
export type EncodedOutputMode = (typeof ENCODED_OUTPUT_MODES)[number];

/** Refuses an output mode outside `known`, in Keras' words. */
export function checkOutputMode<T extends string>(where: string, mode: unknown, known: readonly T[]): T {
  if (!known.includes(mode as T)) throw new ValueError(`${where}: unknown \`outputMode\` ${describeValue(mode)}; expected one of ${known.map((m) => `'${m}'`).join(', ')}`);
  return mode as T;
}

/**
 * Encodes integer ids in [0, depth) as Keras does: 'one_hot' adds a depth axis (replacing a
 * last axis of 1); 'multi_hot' and 'count' reduce the token axis (axis 1 of a batch, or the
 * only axis of a single sample) to `depth` flags or counts, each count scaled by
 * `weights[id]` for tf_idf; ids equal to `dropped` (masked tokens) count nowhere.
 */
export function encodeCategorical(where: string, ids: FlatData<number>, mode: EncodedOutputMode | 'tf_idf', depth: number, options: { weights?: ArrayLike<number>; dropped?: number } = {}): Tensor {
  const { weights, dropped } = options;
  const bad = ids.values.find((v) => v !== dropped && (!Number.isInteger(v) || v < 0 || v >= depth));
  if (bad !== undefined) throw new ValueError(`${where}: input values must be integers in the range 0 <= values < ${depth} (num_tokens), got ${bad}`);
  let shape = ids.shape.length === 0 ? [1] : ids.shape;
  if (mode === 'one_hot') {
    if (shape.length > 1 && shape[shape.length - 1] === 1) shape = shape.slice(0, -1);
    const out = new Float32Array(ids.values.length * depth);
    ids.values.forEach((id, i) => id !== dropped && (out[i * depth + id] = 1));
    return outputTensor(out, [...shape, depth], 'float32');
  }
  if (shape.length > 2) throw new ValueError(`${where}: output_mode '${mode}' takes a batch of token lists (rank 1 or 2), got rank ${shape.length} (shape [${shape}])`);
  const rows = shape.length === 2 ? shape[0] : 1;
  const perRow = shape.length === 2 ? shape[1] : shape[0];
  const out = new Float32Array(rows * depth);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < perRow; t++) {
      const id = ids.values[r * perRow + t];
      if (id === dropped) continue;
      out[r * depth + id] = mode === 'multi_hot' ? 1 : out[r * depth + id] + 1;
    }
  }
  if (mode === 'tf_idf' && weights) for (let i = 0; i < out.length; i++) out[i] *= weights[i % depth];
  return outputTensor(out, shape.length === 2 ? [rows, depth] : [depth], 'float32');
}
