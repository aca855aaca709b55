/**
 * Losses, as Keras' `keras.losses`: classes with Keras' options and defaults, and Keras' function
 * names as constants, usable wherever a loss is named. The engine computes them in Rust (fused with
 * a final softmax or sigmoid, in the numerically stable form); a function `(yTrue, yPred) => loss`
 * written with kiln.ops is traced into the graph instead.
 * @module
 */
// Loss functions by Keras name or as Keras' classes; the engine computes them (fused with a
// final softmax or sigmoid, in the numerically stable form).
import { ValueError } from '../errors.js';
import { snakeCase } from '../utils/naming.js';
import { Loss } from './loss.js';
import { type LossFunction, LossFunctionWrapper } from './loss_function.js';
import * as classes from './losses.js';

export { Loss, type LossArgs, type LossKind, type Reduction } from './loss.js';
export { type LossFunction, LossFunctionWrapper } from './loss_function.js';
export * from './losses.js';
export * from './names.js';

/**
 * Each Keras function name (snake_case), with the loss it makes at Keras' defaults: every
 * loss class, under its kind.
 */
const BY_NAME: Record<string, () => Loss> = Object.fromEntries((Object.values(classes) as (new () => Loss)[]).map((LossClass) => [new LossClass().kind, () => new LossClass()]));

/** Keras' short names (and Keras 2's), in snake_case; class names reduce to the function names. */
const ALIASES: Record<string, string> = {
  mse: 'mean_squared_error',
  mae: 'mean_absolute_error',
  mape: 'mean_absolute_percentage_error',
  msle: 'mean_squared_logarithmic_error',
  kld: 'kl_divergence',
  kullback_leibler_divergence: 'kl_divergence',
  bce: 'binary_crossentropy',
  logcosh: 'log_cosh',
  huber_loss: 'huber',
};

/**
 * A loss instance from a name (snake_case, camelCase, a class name such as 'KLDivergence',
 * or an alias: 'mse', 'mae', 'mape', 'msle', 'kld', 'bce', 'logcosh'), or the instance given.
 */
export function getLoss(identifier: string | Loss | LossFunction): Loss {
  if (identifier instanceof Loss) return identifier;
  if (typeof identifier === 'function') return new LossFunctionWrapper(identifier);
  const valid = () => [...Object.keys(BY_NAME), ...Object.keys(ALIASES)].map((k) => `'${k}'`).join(', ');
  if (typeof identifier !== 'string') {
    throw new ValueError(`Could not interpret loss identifier: ${String(identifier)}. Give a loss name (${valid()}) a kiln.losses.Loss instance, or a function (yTrue, yPred) => loss`);
  }
  const key = snakeCase(identifier);
  const make = BY_NAME[ALIASES[key] ?? key];
  if (!make) throw new ValueError(`Unknown loss: '${identifier}'. Valid losses: ${valid()}`);
  return make();
}
