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
export type { CrossentropyArgs, HuberArgs, SparseCategoricalCrossentropyArgs } from './losses.js';

export {
  CategoricalCrossentropy,
  SparseCategoricalCrossentropy,
  BinaryCrossentropy,
  MeanSquaredError,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredLogarithmicError,
  Huber,
  LogCosh,
  Hinge,
  SquaredHinge,
  CategoricalHinge,
  KLDivergence,
  Poisson,
  CosineSimilarity,
} from './losses.js';

// Keras' function names, usable wherever a loss is named: `compile({ loss: kiln.losses.huber })`.
/** Keras' `categorical_crossentropy` loss by name: `compile({ loss: kiln.losses.categorical_crossentropy })`. */
export const categorical_crossentropy = 'categorical_crossentropy';
/** Keras' `sparse_categorical_crossentropy` loss by name: `compile({ loss: kiln.losses.sparse_categorical_crossentropy })`. */
export const sparse_categorical_crossentropy = 'sparse_categorical_crossentropy';
/** Keras' `binary_crossentropy` loss by name: `compile({ loss: kiln.losses.binary_crossentropy })`. */
export const binary_crossentropy = 'binary_crossentropy';
/** Keras' `mean_squared_error` loss by name: `compile({ loss: kiln.losses.mean_squared_error })`. */
export const mean_squared_error = 'mean_squared_error';
/** Keras' `mean_absolute_error` loss by name: `compile({ loss: kiln.losses.mean_absolute_error })`. */
export const mean_absolute_error = 'mean_absolute_error';
/** Keras' `mean_absolute_percentage_error` loss by name: `compile({ loss: kiln.losses.mean_absolute_percentage_error })`. */
export const mean_absolute_percentage_error = 'mean_absolute_percentage_error';
/** Keras' `mean_squared_logarithmic_error` loss by name: `compile({ loss: kiln.losses.mean_squared_logarithmic_error })`. */
export const mean_squared_logarithmic_error = 'mean_squared_logarithmic_error';
/** Keras' `huber` loss by name: `compile({ loss: kiln.losses.huber })`. */
export const huber = 'huber';
/** Keras' `log_cosh` loss by name: `compile({ loss: kiln.losses.log_cosh })`. */
export const log_cosh = 'log_cosh';
/** Keras' `hinge` loss by name: `compile({ loss: kiln.losses.hinge })`. */
export const hinge = 'hinge';
/** Keras' `squared_hinge` loss by name: `compile({ loss: kiln.losses.squared_hinge })`. */
export const squared_hinge = 'squared_hinge';
/** Keras' `categorical_hinge` loss by name: `compile({ loss: kiln.losses.categorical_hinge })`. */
export const categorical_hinge = 'categorical_hinge';
/** Keras' `kl_divergence` loss by name: `compile({ loss: kiln.losses.kl_divergence })`. */
export const kl_divergence = 'kl_divergence';
/** Keras' `poisson` loss by name: `compile({ loss: kiln.losses.poisson })`. */
export const poisson = 'poisson';
/** Keras' `cosine_similarity` loss by name: `compile({ loss: kiln.losses.cosine_similarity })`. */
export const cosine_similarity = 'cosine_similarity';

/** Each Keras function name (snake_case), with the loss it makes at Keras' defaults. */
const BY_NAME: Record<string, () => Loss> = {
  categorical_crossentropy: () => new classes.CategoricalCrossentropy(),
  sparse_categorical_crossentropy: () => new classes.SparseCategoricalCrossentropy(),
  binary_crossentropy: () => new classes.BinaryCrossentropy(),
  mean_squared_error: () => new classes.MeanSquaredError(),
  mean_absolute_error: () => new classes.MeanAbsoluteError(),
  mean_absolute_percentage_error: () => new classes.MeanAbsolutePercentageError(),
  mean_squared_logarithmic_error: () => new classes.MeanSquaredLogarithmicError(),
  huber: () => new classes.Huber(),
  log_cosh: () => new classes.LogCosh(),
  hinge: () => new classes.Hinge(),
  squared_hinge: () => new classes.SquaredHinge(),
  categorical_hinge: () => new classes.CategoricalHinge(),
  kl_divergence: () => new classes.KLDivergence(),
  poisson: () => new classes.Poisson(),
  cosine_similarity: () => new classes.CosineSimilarity(),
};

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
