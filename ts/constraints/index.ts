/**
 * Constraints, as Keras' `keras.constraints`: limits applied to a weight after each optimizer
 * step (a layer's `kernelConstraint`, `biasConstraint`, ...), by name ('max_norm', 'non_neg',
 * 'unit_norm', 'min_max_norm') or as instances.
 * @module
 */
// kiln.constraints: limits on weights applied after each optimizer step (kernelConstraint,
// biasConstraint, ...), as in Keras.
import { ValueError } from '../errors.js';
import { snakeCase } from '../utils/naming.js';
import { Constraint } from './constraint.js';
import { MaxNorm, type MaxNormArgs, MinMaxNorm, type MinMaxNormArgs, NonNeg, UnitNorm, type UnitNormArgs } from './norm_constraints.js';

export { Constraint } from './constraint.js';
export { MaxNorm, type MaxNormArgs, MinMaxNorm, type MinMaxNormArgs, NonNeg, UnitNorm, type UnitNormArgs } from './norm_constraints.js';

/** A constraint as Keras' serialisation writes it: `{ className: 'MaxNorm', config: { maxValue: 2, axis: [0] } }`. */
export interface SerializedConstraint {
  /** The class name ('MaxNorm', 'NonNeg', 'UnitNorm', 'MinMaxNorm'). */
  className: string;
  /** Its constructor options. */
  config?: Record<string, unknown>;
}

/** What a constraint option takes: a name ('max_norm', 'non_neg', 'unit_norm', 'min_max_norm'), an instance or a serialised one. */
export type ConstraintIdentifier = string | Constraint | SerializedConstraint;

/** Keras' `max_norm`: norms over `axis` at most `maxValue` (default 2). */
export const maxNorm = (maxValue = 2, args: Omit<MaxNormArgs, 'maxValue'> = {}) => new MaxNorm({ ...args, maxValue });
/** Keras' `non_neg`. */
export const nonNeg = () => new NonNeg();
/** Keras' `unit_norm`. */
export const unitNorm = (args: UnitNormArgs = {}) => new UnitNorm(args);
/** Keras' `min_max_norm`. */
export const minMaxNorm = (args: MinMaxNormArgs = {}) => new MinMaxNorm(args);

const CLASSES: Record<string, (config: Record<string, unknown>) => Constraint> = {
  max_norm: (c) => new MaxNorm(c as MaxNormArgs),
  non_neg: () => new NonNeg(),
  unit_norm: (c) => new UnitNorm(c as UnitNormArgs),
  min_max_norm: (c) => new MinMaxNorm(c as MinMaxNormArgs),
};

/** A constraint from an identifier; undefined for none. */
export function get(identifier: ConstraintIdentifier | null | undefined): Constraint | undefined {
  if (identifier === undefined || identifier === null) return undefined;
  if (identifier instanceof Constraint) return identifier;
  const [name, config] = typeof identifier === 'string' ? [identifier, {}] : [identifier.className, identifier.config ?? {}];
  const make = typeof name === 'string' ? CLASSES[snakeCase(name)] : undefined;
  if (!make) {
    throw new ValueError(
      `Could not interpret constraint identifier: ${typeof identifier === 'string' ? `'${identifier}'` : JSON.stringify(identifier)}. Valid names: ${Object.keys(CLASSES)
        .map((k) => `'${k}'`)
        .join(', ')} (or an instance of kiln.constraints.Constraint)`,
    );
  }
  return make(config);
}

/** The form `get` reads back: `{ className, config }`. */
export function serialize(constraint: Constraint | undefined): SerializedConstraint | null {
  return constraint ? { className: constraint.constructor.name, config: constraint.getConfig() } : null;
}
