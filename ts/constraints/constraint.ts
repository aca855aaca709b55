/** @internal A constraint as the engine reads it. */
export type ConstraintSpec = { kind: string } & Record<string, string | number | number[]>;

/**
 * Base of weight constraints (kernelConstraint, biasConstraint, ...): the engine applies them
 * to the weight after each optimizer step, as Keras does.
 */
export abstract class Constraint {
  /** @internal The engine's description of the constraint. */
  abstract spec(): ConstraintSpec;

  /** The constructor arguments (Keras' `get_config`). */
  getConfig(): Record<string, unknown> {
    return {};
  }
}
