export { ExponentialDecay, type ExponentialDecayArgs } from './exponential_decay.js';
export { LearningRateSchedule } from './learning_rate_schedule.js';
