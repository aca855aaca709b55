// Keras' functional merge helpers: `keras.layers.add([a, b])` makes an `Add` layer and calls it
// on the list, so `kiln.layers.add([x, y])` does the same. The main argument of Concatenate
// (`axis`) and Dot (`axes`) may be given positionally, as in Keras.
import { ValueError } from '../../errors.js';
import type { SymbolicTensor } from '../../symbolic.js';
import type { Tensor } from '../../tensor.js';
import { describeValue } from '../../utils/options.js';
import type { LayerArgs, LayerInput } from '../layer.js';
import { Add } from './add.js';
import { Average } from './average.js';
import type { BaseMerge } from './base_merge.js';
import { Concatenate } from './concatenate.js';
import { Dot, type DotArgs } from './dot.js';
import { Maximum } from './maximum.js';
import { Minimum } from './minimum.js';
import { Multiply } from './multiply.js';
import { Subtract } from './subtract.js';

/** A symbolic result for symbolic inputs (building a model), a concrete one for tensors. */
type Merged<T extends LayerInput> = T extends SymbolicTensor ? SymbolicTensor : Tensor;

function merge<T extends LayerInput>(what: string, layer: BaseMerge, inputs: T[]): Merged<T> {
  if (!Array.isArray(inputs)) throw new ValueError(`${what}: \`inputs\` must be a list of tensors, got ${describeValue(inputs)}`);
  return layer.applyAny(inputs) as Merged<T>;
}

/** `keras.layers.add(inputs)`: the elementwise sum, through a new Add layer. */
export function add<T extends LayerInput>(inputs: T[], args?: LayerArgs): Merged<T> {
  return merge('add', new Add(args), inputs);
}

/** `keras.layers.subtract([a, b])`: a - b, through a new Subtract layer. */
export function subtract<T extends LayerInput>(inputs: T[], args?: LayerArgs): Merged<T> {
  return merge('subtract', new Subtract(args), inputs);
}

/** `keras.layers.multiply(inputs)`: the elementwise product, through a new Multiply layer. */
export function multiply<T extends LayerInput>(inputs: T[], args?: LayerArgs): Merged<T> {
  return merge('multiply', new Multiply(args), inputs);
}

/** `keras.layers.average(inputs)`: the elementwise mean, through a new Average layer. */
export function average<T extends LayerInput>(inputs: T[], args?: LayerArgs): Merged<T> {
  return merge('average', new Average(args), inputs);
}

/** `keras.layers.maximum(inputs)`: the elementwise maximum, through a new Maximum layer. */
export function maximum<T extends LayerInput>(inputs: T[], args?: LayerArgs): Merged<T> {
  return merge('maximum', new Maximum(args), inputs);
}

/** `keras.layers.minimum(inputs)`: the elementwise minimum, through a new Minimum layer. */
export function minimum<T extends LayerInput>(inputs: T[], args?: LayerArgs): Merged<T> {
  return merge('minimum', new Minimum(args), inputs);
}

/** `keras.layers.concatenate(inputs, axis=-1)`: `concatenate(xs, 1)` or `concatenate(xs, { axis: 1 })`. */
export function concatenate<T extends LayerInput>(inputs: T[], axis?: number | (LayerArgs & { axis?: number }), args: LayerArgs = {}): Merged<T> {
  const options = typeof axis === 'object' && axis !== null ? axis : { ...args, ...(axis === undefined ? {} : { axis }) };
  return merge('concatenate', new Concatenate(options), inputs);
}

/** `keras.layers.dot(inputs, axes=-1)`: `dot([a, b], 1)` or `dot([a, b], { axes: 1, normalize: true })`. */
export function dot<T extends LayerInput>(inputs: T[], axes: number | [number, number] | (DotArgs & { axes?: number | [number, number] }) = -1, args: DotArgs = {}): Merged<T> {
  const layer = typeof axes === 'object' && !Array.isArray(axes) && axes !== null ? new Dot({ axes: -1, ...axes }) : new Dot(axes, args);
  return merge('dot', layer, inputs);
}
