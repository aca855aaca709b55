/**
 * Optimizers, as Keras': the update rules (run in Rust) that `fit` and `applyGradients` apply to
 * the trainable weights, with Keras' defaults. `compile` also takes their names ('adam', 'sgd', ...).
 * @module
 */
import { ValueError } from '../errors.js';
import { Adadelta } from './adadelta.js';
import { Adagrad } from './adagrad.js';
import { Adam } from './adam.js';
import { Adamax } from './adamax.js';
import { AdamW } from './adamw.js';
import { Lion } from './lion.js';
import { Nadam } from './nadam.js';
import { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';
import { describeValue } from '../utils/options.js';

export { Adadelta, type AdadeltaArgs } from './adadelta.js';
export { Adagrad, type AdagradArgs } from './adagrad.js';
export { Adam, type AdamArgs } from './adam.js';
export { Adamax, type AdamaxArgs } from './adamax.js';
export { AdamW, type AdamWArgs } from './adamw.js';
export { Lion, type LionArgs } from './lion.js';
export { Nadam, type NadamArgs } from './nadam.js';
export { Optimizer, type OptimizerArgs } from './optimizer.js';
export { RMSprop, type RMSpropArgs } from './rmsprop.js';
export * as schedules from './schedules/index.js';
export { SGD, type SGDArgs } from './sgd.js';

const BY_NAME: Record<string, () => Optimizer> = {
  adadelta: () => new Adadelta(),
  adagrad: () => new Adagrad(),
  adam: () => new Adam(),
  adamax: () => new Adamax(),
  adamw: () => new AdamW(),
  lion: () => new Lion(),
  nadam: () => new Nadam(),
  rmsprop: () => new RMSprop(),
  sgd: () => new SGD(),
};

/** An optimizer instance, or a new one with Keras' defaults from its name ('adam', 'AdamW', ...). */
export function getOptimizer(identifier: string | Optimizer): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  const make = typeof identifier === 'string' ? BY_NAME[identifier.toLowerCase()] : undefined;
  if (!make) {
    throw new ValueError(
      `Could not interpret optimizer identifier: ${typeof identifier === 'string' ? `'${identifier}'` : describeValue(identifier)}. Valid optimizers: ${Object.keys(BY_NAME)
        .map((k) => `'${k}'`)
        .join(', ')}`,
    );
  }
  return make();
}
