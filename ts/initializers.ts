/**
 * Weight initializers by Keras name ('glorot_uniform', 'he_normal', 'zeros', ...), computed from a
 * weight's fan-in and fan-out, and `getInitializer` to look one up.
 * @module
 */
// Weight initialisers by Keras name, computed from the layer's fan-in and fan-out.
import { ValueError } from './errors.js';
import * as random from './random.js';
import { normalValues, uniformValues } from './random_values.js';
import { tensor, type Tensor } from './tensor.js';
import { snakeCase } from './utils/naming.js';

/** Makes an initial value for a weight of `shape`. */
export type Initializer = (shape: number[]) => Tensor;
/**
 * What an `*Initializer` option takes: a Keras name (aliases 'uniform', 'normal', 'zero', 'one'
 * accepted; camelCase too) or a function from a shape to a tensor.
 */
export type InitializerIdentifier = string | Initializer;

/** Keras' fan computation: the last two axes are (fan_in, fan_out), earlier ones the receptive field. */
function fans(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/** Keras' VarianceScaling: variance `scale / n` with n the fan-in, fan-out or their mean. */
export function varianceScaling(scale: number, mode: 'fan_in' | 'fan_out' | 'fan_avg', distribution: 'uniform' | 'truncated_normal' | 'untruncated_normal'): Initializer {
  return (shape) => {
    const [fanIn, fanOut] = fans(shape);
    const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    const variance = scale / Math.max(1, n);
    if (distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return uniformValues(shape, -limit, limit);
    }
    if (distribution === 'untruncated_normal') return random.normal(shape, 0, Math.sqrt(variance));
    // 0.8796... is the std of a unit normal truncated at two standard deviations.
    return random.truncatedNormal(shape, 0, Math.sqrt(variance) / 0.87962566103423978);
  };
}

const constant =
  (value: number): Initializer =>
  (shape) =>
    tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), shape);

/**
 * Keras' Orthogonal: the Q of a QR decomposition of a normal matrix (rows = all axes but the
 * last), signs fixed by R's diagonal. Modified Gram-Schmidt on the longer side's columns.
 */
const orthogonal: Initializer = (shape) => {
  const cols = shape[shape.length - 1] ?? 1;
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const [m, n] = rows >= cols ? [rows, cols] : [cols, rows];
  const a = Array.from(normalValues([m, n]).dataSync());
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    const v = Array.from({ length: m }, (_, i) => a[i * n + j]);
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += q[i * n + k] * v[i];
      for (let i = 0; i < m; i++) v[i] -= dot * q[i * n + k];
    }
    const norm = Math.hypot(...v) || 1;
    // Gram-Schmidt's R diagonal is positive, which is numpy's sign convention after Keras' fix.
    for (let i = 0; i < m; i++) q[i * n + j] = v[i] / norm;
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = rows >= cols ? q[i * n + j] : q[j * n + i];
  return tensor(out, shape);
};

const INITIALIZERS: Record<string, Initializer> = {
  orthogonal,
  zeros: constant(0),
  ones: constant(1),
  glorot_uniform: varianceScaling(1, 'fan_avg', 'uniform'),
  glorot_normal: varianceScaling(1, 'fan_avg', 'truncated_normal'),
  he_uniform: varianceScaling(2, 'fan_in', 'uniform'),
  he_normal: varianceScaling(2, 'fan_in', 'truncated_normal'),
  lecun_uniform: varianceScaling(1, 'fan_in', 'uniform'),
  lecun_normal: varianceScaling(1, 'fan_in', 'truncated_normal'),
  // Keras' 'uniform' and 'normal' aliases: RandomUniform(-0.05, 0.05), RandomNormal(0, 0.05).
  random_uniform: (shape) => uniformValues(shape, -0.05, 0.05),
  random_normal: (shape) => normalValues(shape, 0, 0.05),
  truncated_normal: (shape) => random.truncatedNormal(shape, 0, 0.05),
};
const ALIASES: Record<string, string> = { uniform: 'random_uniform', normal: 'random_normal', zero: 'zeros', one: 'ones' };

/**
 * Returns the initializer for an identifier: a function is returned as is, a name is looked up.
 * An unknown name is refused with a ValueError listing the valid ones.
 */
export function getInitializer(identifier: InitializerIdentifier): Initializer {
  if (typeof identifier === 'function') return identifier;
  if (typeof identifier !== 'string') {
    throw new ValueError(`Could not interpret initializer identifier: ${String(identifier)} (expected a name or a function)`);
  }
  const key = snakeCase(identifier);
  const found = INITIALIZERS[ALIASES[key] ?? key];
  if (!found) {
    const valid = [...Object.keys(INITIALIZERS), ...Object.keys(ALIASES)].sort();
    throw new ValueError(`Unknown initializer: '${identifier}'. Valid initializers: ${valid.map((v) => `'${v}'`).join(', ')}`);
  }
  return found;
}
