/** A learning rate that changes with the optimizer step. Subclass and implement `call`. */
export abstract class LearningRateSchedule {
  /** The learning rate at `step` (counted from 0). */
  abstract call(step: number): number;

  getConfig(): Record<string, unknown> {
    return {};
  }
}
