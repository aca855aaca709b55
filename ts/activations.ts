/**
 * Activation functions by Keras name ('relu', 'gelu', 'softmax', ...), as layers' `activation`
 * option takes them, and `getActivation` to look one up.
 * @module
 */
// Activation functions by Keras name.
import { ValueError } from './errors.js';
import * as ops from './ops.js';
import type { SymbolicTensor } from './symbolic.js';
import type { Tensor } from './tensor.js';
import { snakeCase } from './utils/naming.js';
import { describeValue } from './utils/options.js';

/** An activation: a function of one tensor, written with kiln.ops so it also works on symbolic tensors. */
export type ActivationFunction = (x: Tensor | SymbolicTensor) => Tensor | SymbolicTensor;
/**
 * What an `activation` option takes: a Keras name ('relu', 'leaky_relu', ...; camelCase names
 * are accepted too), a function, or null for none (linear).
 */
export type ActivationIdentifier = string | ActivationFunction | null;

type Value = Tensor | SymbolicTensor;

function clip(x: Value, low: number, high: number): Value {
  return ops.maximum(ops.minimum(x, high), low);
}

/** x − log Σ exp(x) over the last axis, with the maximum taken out first (stable). */
function logSoftmax(x: Value): Value {
  const shifted = ops.sub(x, ops.max(x, -1, true));
  return ops.sub(shifted, ops.log(ops.sum(ops.exp(shifted), -1, true)));
}

/** Keras' glu: the last axis split in halves a, b; a · sigmoid(b). */
function glu(x: Value): Value {
  const size = x.shape[x.shape.length - 1];
  if (size === null || size % 2 !== 0) throw new ValueError(`glu: the last axis must have an even size, got shape [${x.shape.map((d) => d ?? 'null').join(', ')}]`);
  const half = size / 2;
  return ops.mul(ops.sliceAxis(x, -1, 0, half), ops.sigmoid(ops.sliceAxis(x, -1, half, half)));
}

const ACTIVATIONS: Record<string, ActivationFunction> = {
  linear: (x) => x,
  relu: (x) => ops.relu(x),
  sigmoid: (x) => ops.sigmoid(x),
  tanh: (x) => ops.tanh(x),
  softmax: (x) => ops.softmax(x),
  exponential: (x) => ops.exp(x),
  elu: (x) => ops.elu(x),
  selu: (x) => ops.selu(x),
  gelu: (x) => ops.gelu(x),
  silu: (x) => ops.silu(x),
  swish: (x) => ops.silu(x),
  softplus: (x) => ops.softplus(x),
  softsign: (x) => ops.softsign(x),
  hard_sigmoid: (x) => ops.hardSigmoid(x),
  leaky_relu: (x) => ops.leakyRelu(x),
  relu6: (x) => ops.relu6(x),
  // Keras 3's other activations, built from graph ops so they differentiate for free.
  hard_silu: (x) => ops.mul(x, ops.hardSigmoid(x)),
  hard_swish: (x) => ops.mul(x, ops.hardSigmoid(x)),
  mish: (x) => ops.mul(x, ops.tanh(ops.softplus(x))),
  log_softmax: logSoftmax,
  // Keras' celu with its default alpha 1 is elu.
  celu: (x) => ops.elu(x),
  glu,
  hard_tanh: (x) => clip(x, -1, 1),
  hard_shrink: (x) => ops.mul(x, ops.notEqual(ops.maximum(ops.abs(x), 0.5), 0.5)),
  soft_shrink: (x) => ops.sub(x, clip(x, -0.5, 0.5)),
  tanh_shrink: (x) => ops.sub(x, ops.tanh(x)),
  squareplus: (x) => ops.mul(ops.add(x, ops.sqrt(ops.add(ops.square(x), 4))), 0.5),
  sparse_plus: (x) => ops.add(ops.mul(ops.square(ops.add(clip(x, -1, 1), 1)), 0.25), ops.relu(ops.sub(x, 1))),
  log_sigmoid: (x) => ops.negative(ops.softplus(ops.negative(x))),
  sparse_sigmoid: (x) => ops.mul(ops.add(clip(x, -1, 1), 1), 0.5),
};

/**
 * Returns the activation function for an identifier: a function is returned as is, undefined or
 * null give the linear (identity) activation, and a name is looked up (snake_case or camelCase).
 * An unknown name is refused with a ValueError listing the valid ones.
 */
export function getActivation(identifier: ActivationIdentifier | undefined): ActivationFunction {
  if (identifier === undefined || identifier === null) return ACTIVATIONS.linear;
  if (typeof identifier === 'function') return identifier;
  if (typeof identifier !== 'string') {
    throw new ValueError(`Could not interpret activation function identifier: ${describeValue(identifier)} (expected a name or a function)`);
  }
  const found = ACTIVATIONS[snakeCase(identifier)];
  if (!found) {
    throw new ValueError(
      `Unknown activation: '${identifier}'. Valid activations: ${Object.keys(ACTIVATIONS)
        .map((a) => `'${a}'`)
        .join(', ')}`,
    );
  }
  return found;
}

/** The Keras name of an activation identifier, for summaries and configs. */
export function activationName(identifier: ActivationIdentifier | undefined): string {
  if (identifier === undefined || identifier === null) return 'linear';
  return typeof identifier === 'string' ? snakeCase(identifier) : identifier.name || 'custom';
}
