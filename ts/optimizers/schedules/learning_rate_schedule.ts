/** A learning rate that changes with the optimizer step. Subclass and implement `call`. */
export abstract class LearningRateSchedule {
  /** The learning rate at `step` (counted from 0). */
  abstract call(step: number): number;

  /**
   * The schedule's settings as saved in a model file (Keras' `get_config`); empty by default, so a
   * custom schedule overrides it to be saved with its settings.
   */
  getConfig(): Record<string, unknown> {
    return {};
  }
}
