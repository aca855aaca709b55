// Tensors made from numbers: arange and one_hot.
import { formatValue } from '../utils/options.js';
import { ResourceExhaustedError, ValueError } from '../errors.js';
import type { OpInput, OpResult } from '../ops.js';
import { transpose } from '../ops.js';
import { tensor, type Tensor } from '../tensor.js';
import { shapeOf, where } from './recording.js';
import { expandDims } from './reshaping.js';
import { equal } from './selection.js';

/**
 * Evenly spaced values in [start, stop) (Keras' `ops.arange`: `arange(stop)` starts at 0);
 * int32 when every argument is an integer, else float32.
 */
export function arange(start: number, stop?: number | null, step = 1): Tensor {
  const [from, to] = stop === undefined || stop === null ? [0, start] : [start, stop];
  if (![from, to, step].every((v) => typeof v === 'number' && Number.isFinite(v)) || step === 0) {
    throw new ValueError(`${where()}arange: start, stop and step must be finite numbers and step non-zero, got start=${String(start)}, stop=${String(stop)}, step=${String(step)}`);
  }
  const count = Math.max(0, Math.ceil((to - from) / step));
  // Past 2**31 values no typed array holds them (Array.from threw a raw RangeError).
  if (count > 2 ** 31 - 1) throw new ResourceExhaustedError(`${where()}arange: cannot make ${count} values (start=${start}, stop=${stop}, step=${step}): more than a tensor holds`);
  const integers = [from, to, step].every(Number.isInteger);
  const last = from + (count - 1) * step;
  if (integers && count > 0 && [from, last].some((v) => v < -(2 ** 31) || v > 2 ** 31 - 1)) {
    throw new ValueError(`${where()}arange: integer values from ${from} to ${last} do not fit int32 (they would wrap); give float bounds for float32 values`);
  }
  // Straight into the typed array: a JavaScript array of the values took 8 bytes each first.
  let values: Int32Array | Float32Array;
  try {
    values = integers ? new Int32Array(count) : new Float32Array(count);
  } catch (error) {
    throw new ResourceExhaustedError(`${where()}arange: cannot allocate ${count} values: ${(error as Error).message}`);
  }
  for (let i = 0; i < count; i++) values[i] = from + i * step;
  return tensor(values, [count]);
}

/**
 * One-hot encoding of integer class ids (Keras' `ops.one_hot`): a new axis of length
 * `numClasses` at `axis` (default last) with 1 at each id; ids outside [0, numClasses) give
 * zeros.
 */
export function oneHot<A extends OpInput>(x: A, numClasses: number, axis = -1): OpResult<A> {
  if (!Number.isInteger(numClasses) || numClasses <= 0) throw new ValueError(`${where()}oneHot: numClasses must be a positive integer, got ${formatValue(numClasses)}`);
  const rank = shapeOf(x).length;
  const a = typeof axis === 'number' && axis < 0 ? axis + rank + 1 : axis;
  if (!Number.isInteger(axis) || a < 0 || a > rank) throw new ValueError(`${where()}oneHot: axis ${formatValue(axis)} is out of range for a result of rank ${rank + 1}`);
  const encoded = equal(expandDims(x, -1), arange(numClasses).astype('float32')) as OpInput;
  if (a === rank) return encoded as OpResult<A>;
  const perm = Array.from({ length: rank + 1 }, (_, i) => (i < a ? i : i === a ? rank : i - 1));
  return transpose(encoded, perm) as OpResult<A>;
}
