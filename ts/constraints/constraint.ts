import type * as schema from '../native_schema.js';

/** @internal A constraint as the engine reads it (kiln-core's `Constraint`). */
export type ConstraintSpec = schema.Constraint;

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
