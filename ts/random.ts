// kiln.random and kiln.setSeed: one seeded generator behind initialisers, shuffling, dropout.
import { ValueError } from './errors.js';
import { callNative, native } from './native.js';
import { Tensor } from './tensor.js';

function checkShape(shape: number[]): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ValueError(`random: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape;
}

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
  return new Tensor(callNative(() => native.randomInt(low, high, checkShape(shape))));
}

/** Makes random values, weight initialisation, shuffling and dropout repeatable. */
export function setSeed(seed: number): void {
  callNative(() => native.setSeed(seed));
}
