// Activation functions by Keras name.
import { ValueError } from './errors.js';
import * as ops from './ops.js';
import type { SymbolicTensor } from './symbolic.js';
import type { Tensor } from './tensor.js';
import { snakeCase } from './utils/naming.js';
import { describeValue } from './utils/options.js';

export type ActivationFunction = (x: Tensor | SymbolicTensor) => Tensor | SymbolicTensor;
export type ActivationIdentifier = string | ActivationFunction | null;

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
};

export function getActivation(identifier: ActivationIdentifier | undefined): ActivationFunction {
  if (identifier === undefined || identifier === null) return ACTIVATIONS.linear;
  if (typeof identifier === 'function') return identifier;
  if (typeof identifier !== 'string') {
    throw new ValueError(`Could not interpret activation function identifier: ${describeValue(identifier)} (expected a name or a function)`);
  }
  const found = ACTIVATIONS[snakeCase(identifier)];
  if (!found) {
    throw new ValueError(`Unknown activation: '${identifier}'. Valid activations: ${Object.keys(ACTIVATIONS).map((a) => `'${a}'`).join(', ')}`);
  }
  return found;
}

/** The Keras name of an activation identifier, for summaries and configs. */
export function activationName(identifier: ActivationIdentifier | undefined): string {
  if (identifier === undefined || identifier === null) return 'linear';
  return typeof identifier === 'string' ? snakeCase(identifier) : identifier.name || 'custom';
}
