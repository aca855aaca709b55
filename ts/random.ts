/**
 * Random tensors from the one seeded generator behind initializers, shuffling and dropout
 * (`kiln.setSeed` seeds it). Called inside a layer's `call` while a model is built, they record a
 * graph node that draws afresh at every step.
 * @module
 */
// kiln.random and kiln.setSeed: one seeded generator behind initialisers, shuffling, dropout.
import { ValueError } from './errors.js';
import { callNative, native } from './native.js';
import { currentLayerName, type OpSpec, SymbolicTensor, tracing } from './symbolic.js';
import { Tensor } from './tensor.js';
import { checkInteger } from './utils/integers.js';
import { checkOptionNames, describeValue } from './utils/options.js';
import { checkShape, normalValues, uniformValues } from './random_values.js';

/** randint's values are int32 (Keras' default dtype): both bounds must fit. */
const INT32_RANGE = { min: -(2 ** 31), max: 2 ** 31 };

/** Keras' keyword form of the distribution's parameters. */
export interface NormalOptions {
  /** Default 0. */
  mean?: number;
  /** Default 1. */
  stddev?: number;
}

/** Keras' keyword form of a uniform distribution's bounds: values are drawn from [minval, maxval). */
export interface UniformOptions {
  /** Default 0. */
  minval?: number;
  /** Default 1. */
  maxval?: number;
}

/**
 * A random tensor in a graph: inside `Layer.call` while a model is built, or when the shape
 * has an unknown (null) batch axis taken from a symbolic tensor (`ops.shape(zMean)[0]`). It
 * is drawn afresh at every step, as Keras' random ops in `call` are.
 */
/** A random op's settings; its shape is the one asked for. */
type RandomSpec = Omit<Extract<OpSpec, { op: 'random_uniform' }>, 'shape'> | Omit<Extract<OpSpec, { op: 'random_normal' }>, 'shape'>;

function recorded(spec: RandomSpec, shape: (number | null)[]): SymbolicTensor | undefined {
  const hasUnknown = Array.isArray(shape) && shape.some((d) => d === null);
  if (!hasUnknown && !tracing()) return undefined;
  if (!Array.isArray(shape) || shape.some((d, i) => (d === null ? i !== 0 : !Number.isInteger(d) || d < 0))) {
    throw new ValueError(`random: shape must be non-negative integers, with only the first (batch) axis possibly null (unknown), got ${describeValue(shape)}`);
  }
  return new SymbolicTensor(shape, { ...spec, shape }, [], currentLayerName() ?? spec.op);
}

function parameters<T extends object>(name: string, given: number | T | undefined, known: string[]): Partial<T> {
  if (given === undefined || typeof given === 'number') return {};
  if (given === null || typeof given !== 'object') throw new ValueError(`random.${name}: expected a number or an options object, got ${describeValue(given)}`);
  if ('seed' in given) throw new ValueError(`random.${name}: \`seed\` is not supported; call kiln.setSeed(n) to make random values repeatable`);
  checkOptionNames(`random.${name}`, given as Record<string, unknown>, known);
  return given;
}

/** Uniform values in [min, max) (Keras' defaults: 0 and 1); `uniform(shape, { minval, maxval })` also works. */
export function uniform(shape: number[], min?: number | UniformOptions, max?: number): Tensor;
/** In a graph (a null batch axis, or inside `Layer.call` while a model is built): drawn at every step. */
export function uniform(shape: (number | null)[], min?: number | UniformOptions, max?: number): Tensor | SymbolicTensor;
export function uniform(shape: (number | null)[], min: number | UniformOptions = 0, max = 1): Tensor | SymbolicTensor {
  const options = parameters('uniform', min, ['minval', 'maxval']);
  const [low, high] = typeof min === 'number' ? [min, max] : [options.minval ?? 0, options.maxval ?? 1];
  return recorded({ op: 'random_uniform', minval: low, maxval: high }, shape) ?? uniformValues(shape as number[], low, high);
}

/** Normal values (Keras' defaults: mean 0, stddev 1); `normal(shape, { mean, stddev })` also works. */
export function normal(shape: number[], mean?: number | NormalOptions, std?: number): Tensor;
/** In a graph (a null batch axis, or inside `Layer.call` while a model is built): drawn at every step. */
export function normal(shape: (number | null)[], mean?: number | NormalOptions, std?: number): Tensor | SymbolicTensor;
export function normal(shape: (number | null)[], mean: number | NormalOptions = 0, std = 1): Tensor | SymbolicTensor {
  const options = parameters('normal', mean, ['mean', 'stddev']);
  const [m, sd] = typeof mean === 'number' ? [mean, std] : [options.mean ?? 0, options.stddev ?? 1];
  return recorded({ op: 'random_normal', mean: m, stddev: sd }, shape) ?? normalValues(shape as number[], m, sd);
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
