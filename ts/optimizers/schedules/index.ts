/**
 * Learning rate schedules, as Keras' `keras.optimizers.schedules`: pass one as an optimizer's
 * `learningRate` and the rate follows the optimizer's step count.
 * @module
 */
export { CosineDecay, type CosineDecayArgs } from './cosine_decay.js';
export { CosineDecayRestarts, type CosineDecayRestartsArgs } from './cosine_decay_restarts.js';
export { ExponentialDecay, type ExponentialDecayArgs } from './exponential_decay.js';
export { InverseTimeDecay, type InverseTimeDecayArgs } from './inverse_time_decay.js';
export { LearningRateSchedule } from './learning_rate_schedule.js';
export { PiecewiseConstantDecay, type PiecewiseConstantDecayArgs } from './piecewise_constant_decay.js';
export { PolynomialDecay, type PolynomialDecayArgs } from './polynomial_decay.js';
