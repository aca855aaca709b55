// kiln.random and kiln.setSeed: one seeded generator behind initialisers, shuffling, dropout.
import { callNative, native } from './native.js';
import { Tensor } from './tensor.js';
import { checkInteger, checkShape as checkShapeRule } from './utils/integers.js';

const checkShape = (shape: number[]): number[] => checkShapeRule('random', shape);

/** randint's values are int32 (Keras' default dtype): both bounds must fit. */
const INT32_RANGE = { min: -(2 ** 31), max: 2 ** 31 };

/** Uniform values in [min, max) (Keras' defaults: 0 and 1). */
export function uniform(shape: number[], min = 0, max = 1): Tensor {
  return new Tensor(callNative(() => native.randomUniform(checkShape(shape), min, max)));
}

export function normal(shape: number[], mean = 0, std = 1): Tensor {
  return new Tensor(callNative(() => native.randomNormal(checkShape(shape), mean, std)));
}

/** Normal values redrawn until within two standard deviations. */
export function truncatedNormal(shape: number[], mean = 0, std = 1): Tensor {
  return new Tensor(callNative(() => native.randomTruncatedNormal(checkShape(shape), mean, std)));
}

/** Integers in [low, high), int32. */
export function randint(low: number, high: number, shape: number[]): Tensor {
  checkInteger('randint', 'low', low, INT32_RANGE);
  checkInteger('randint', 'high', high, INT32_RANGE);
  return new Tensor(callNative(() => native.randomInt(low, high, checkShape(shape))));
}

/** Makes random values, weight initialisation, shuffling and dropout repeatable. */
export function setSeed(seed: number): void {
  callNative(() => native.setSeed(seed));
}
