// Keras' loss function names, usable wherever a loss is named (`compile({ loss: kiln.losses.huber })`):
// the engine's loss kinds, kiln-core's `LossKind` (loss.ts does not compile when the two lists differ).
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
