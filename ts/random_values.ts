// Concrete random draws that never become graph nodes: initialisers run while layers build,
// inside a traced call, where kiln.random's functions would record a node instead.
import { ValueError } from './errors.js';
import { callNative, native } from './native.js';
import { Tensor } from './tensor.js';

export function checkShape(shape: number[]): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ValueError(`random: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape;
}

/** Concrete uniform values in [min, max). */
export function uniformValues(shape: number[], min = 0, max = 1): Tensor {
  return new Tensor(callNative(() => native.randomUniform(checkShape(shape), min, max)));
}

/** Concrete normal values. */
export function normalValues(shape: number[], mean = 0, std = 1): Tensor {
  return new Tensor(callNative(() => native.randomNormal(checkShape(shape), mean, std)));
}
