// The `axis` option of layers (BatchNormalization, LayerNormalization, Softmax, Normalization,
// ...) in every form Keras accepts: an integer or a list of them, negative ones counting from
// the end, resolved against the input's rank when the layer is built.
import { ValueError } from '../errors.js';
import * as ops from '../ops.js';
import type { LayerInput, LayerOutput } from './layer.js';
import { describeArgument } from './main_arguments.js';

/** Refuses an `axis` option that is not an integer (or, where `list` allows, a list of them). */
export function checkAxisOption(layer: string, axis: unknown, list: boolean): number | number[] {
  const valid = Number.isInteger(axis) || (list && Array.isArray(axis) && axis.length > 0 && axis.every(Number.isInteger));
  if (!valid) throw new ValueError(`Layer "${layer}": \`axis\` must be an integer${list ? ' or a non-empty list of integers' : ''}, got ${describeArgument(axis)}`);
  return axis as number | number[];
}

/**
 * The axes of a rank-`rank` input that `axis` names, non-negative and sorted. The batch axis
 * (0) is refused unless `batchAllowed`: weights sized by it would depend on the batch size.
 */
export function resolveAxes(layer: string, axis: number | number[], rank: number, batchAllowed = false): number[] {
  const given = Array.isArray(axis) ? axis : [axis];
  const axes = given.map((a) => (a < 0 ? a + rank : a));
  const lowest = batchAllowed ? 0 : 1;
  axes.forEach((a, i) => {
    if (a < lowest || a >= rank) {
      throw new ValueError(`Layer "${layer}": axis ${given[i]} is out of range for an input of rank ${rank} (expected ${-rank}..${rank - 1}${batchAllowed ? '' : ', not the batch axis'})`);
    }
  });
  if (new Set(axes).size !== axes.length) throw new ValueError(`Layer "${layer}": axis ${JSON.stringify(axis)} names the same axis twice (input rank ${rank})`);
  return axes.sort((a, b) => a - b);
}

/**
 * Runs `fn` on `x` with `axes` moved to the end (in order), then moves them back, so ops that
 * work on the trailing axes serve any axes. Graph ops throughout, so gradients come free.
 */
export function withAxesLast(x: LayerInput, axes: number[], fn: (moved: LayerInput) => LayerOutput): LayerOutput {
  const rank = x.shape.length;
  const order = [...Array.from({ length: rank }, (_, i) => i).filter((i) => !axes.includes(i)), ...axes];
  if (order.every((a, i) => a === i)) return fn(x);
  const inverse = order.map((_, i) => order.indexOf(i));
  return ops.transpose(fn(ops.transpose(x, order) as LayerInput), inverse) as LayerOutput;
}
