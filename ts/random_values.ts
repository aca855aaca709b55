// Concrete random draws that never become graph nodes: initialisers run while layers build,
// inside a traced call, where kiln.random's functions would record a node instead.
import { callNative, native } from './native.js';
import { Tensor } from './tensor.js';
import { checkShape as checkShapeRule } from './utils/integers.js';

/** One integer rule for every shape (ts/utils/integers.ts). */
export const checkShape = (shape: number[]): number[] => checkShapeRule('random', shape);

/** Concrete uniform values in [min, max). */
export function uniformValues(shape: number[], min = 0, max = 1): Tensor {
  return new Tensor(callNative(() => native.randomUniform(checkShape(shape), min, max)));
}

/** Concrete normal values. */
export function normalValues(shape: number[], mean = 0, std = 1): Tensor {
  return new Tensor(callNative(() => native.randomNormal(checkShape(shape), mean, std)));
}
