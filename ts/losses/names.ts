// Keras' loss function names, usable wherever a loss is named (`compile({ loss: kiln.losses.huber })`):
// the engine's loss kinds, kiln-core's `LossKind` (__test__/native_boundary.spec.ts checks the two lists agree).
export const categorical_crossentropy = 'categorical_crossentropy';
export const sparse_categorical_crossentropy = 'sparse_categorical_crossentropy';
export const binary_crossentropy = 'binary_crossentropy';
export const mean_squared_error = 'mean_squared_error';
export const mean_absolute_error = 'mean_absolute_error';
export const mean_absolute_percentage_error = 'mean_absolute_percentage_error';
export const mean_squared_logarithmic_error = 'mean_squared_logarithmic_error';
export const huber = 'huber';
export const log_cosh = 'log_cosh';
export const hinge = 'hinge';
export const squared_hinge = 'squared_hinge';
export const categorical_hinge = 'categorical_hinge';
export const kl_divergence = 'kl_divergence';
export const poisson = 'poisson';
export const cosine_similarity = 'cosine_similarity';
