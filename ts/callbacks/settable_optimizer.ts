import { ValueError } from '../errors.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { LearningRateSchedule } from '../optimizers/schedules/learning_rate_schedule.js';

/**
 * The model's optimizer, refused when its learning rate is a schedule: a callback that sets the
 * rate would replace the schedule (Keras refuses the same way).
 * @internal
 */
export function settableOptimizer(optimizer: Optimizer | undefined, callback: string): Optimizer & { learningRate: number } {
  if (!optimizer) throw new ValueError(`${callback}: the model has no optimizer; call compile() first`);
  if (optimizer.learningRate instanceof LearningRateSchedule) {
    throw new ValueError(
      `${callback}: this optimizer was created with a \`LearningRateSchedule\` object as its \`learningRate\`, hence its learning rate is not settable. If you need the learning rate to be settable, create the optimizer with a number \`learningRate\`.`,
    );
  }
  return optimizer as Optimizer & { learningRate: number };
}
