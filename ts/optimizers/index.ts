import { ValueError } from '../errors.js';
import { Adagrad } from './adagrad.js';
import { Adam } from './adam.js';
import { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

export { Adagrad, type AdagradArgs } from './adagrad.js';
export { Adam, type AdamArgs } from './adam.js';
export { Optimizer, type OptimizerArgs } from './optimizer.js';
export { RMSprop, type RMSpropArgs } from './rmsprop.js';
export * as schedules from './schedules/index.js';
export { SGD, type SGDArgs } from './sgd.js';

const BY_NAME: Record<string, () => Optimizer> = {
  adagrad: () => new Adagrad(),
  adam: () => new Adam(),
  rmsprop: () => new RMSprop(),
  sgd: () => new SGD(),
};

/** An optimizer instance, or a new one with Keras' defaults from its name. */
export function getOptimizer(identifier: string | Optimizer): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  const make = typeof identifier === 'string' ? BY_NAME[identifier.toLowerCase()] : undefined;
  if (!make) {
    throw new ValueError(`Could not interpret optimizer identifier: '${String(identifier)}'. Valid optimizers: ${Object.keys(BY_NAME).map((k) => `'${k}'`).join(', ')}`);
  }
  return make();
}
