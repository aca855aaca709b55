/**
 * Regularizers, as Keras' `keras.regularizers`: penalties on weights (a layer's
 * `kernelRegularizer`, `biasRegularizer`, ...) and on layer outputs (`activityRegularizer`),
 * added to the training loss, by name ('l1', 'l2', 'l1_l2'), as instances or as functions.
 * @module
 */
// kiln.regularizers: penalties on weights (kernelRegularizer, biasRegularizer, ...) and on
// layer outputs (activityRegularizer), added to the training loss as in Keras.
import { ValueError } from '../errors.js';
import { snakeCase } from '../utils/naming.js';
import { L1, L1L2, type L1L2Args, L2 } from './l1l2.js';
import { FunctionRegularizer, Regularizer, type RegularizerFunction } from './regularizer.js';

export { L1, L1L2, type L1L2Args, L2 } from './l1l2.js';
export { FunctionRegularizer, Regularizer, type RegularizerFunction, type RegularizerInput } from './regularizer.js';

/** A regularizer as Keras' serialisation writes it: `{ className: 'L2', config: { l2: 0.01 } }`. */
export interface SerializedRegularizer {
  /** The class name ('L1', 'L2', 'L1L2'). */
  className: string;
  /** Its constructor options. */
  config?: Record<string, unknown>;
}

/** What a regularizer option takes: a name ('l1', 'l2', 'l1_l2'), an instance, a function or a serialised one. */
export type RegularizerIdentifier = string | Regularizer | RegularizerFunction | SerializedRegularizer;

/** `l1 * sum(|x|)` (default 0.01). */
export const l1 = (l1 = 0.01) => new L1(l1);
/** `l2 * sum(x²)` (default 0.01). */
export const l2 = (l2 = 0.01) => new L2(l2);
/** `l1 * sum(|x|) + l2 * sum(x²)` (each default 0, as Keras' `l1_l2`). */
export const l1l2 = (args: L1L2Args = {}) => new L1L2(args);
/** Keras' spelling of `l1l2`. */
export const l1_l2 = l1l2;

const CLASSES: Record<string, (config: Record<string, unknown>) => Regularizer> = {
  l1: (c) => new L1(c as { l1?: number }),
  l2: (c) => new L2(c as { l2?: number }),
  l1_l2: (c) => new L1L2(c as L1L2Args),
  l1l2: (c) => new L1L2(c as L1L2Args),
};

/** A regularizer from an identifier; undefined for none (null or undefined). */
export function get(identifier: RegularizerIdentifier | null | undefined): Regularizer | undefined {
  if (identifier === undefined || identifier === null) return undefined;
  if (identifier instanceof Regularizer) return identifier;
  if (typeof identifier === 'function') return new FunctionRegularizer(identifier);
  const [name, config] = typeof identifier === 'string' ? [identifier, {}] : [identifier.className, identifier.config ?? {}];
  const make = typeof name === 'string' ? CLASSES[snakeCase(name)] : undefined;
  if (!make) {
    throw new ValueError(
      `Could not interpret regularizer identifier: ${typeof identifier === 'string' ? `'${identifier}'` : JSON.stringify(identifier)}. Valid names: 'l1', 'l2', 'l1_l2' (or an instance of kiln.regularizers.Regularizer, or a function)`,
    );
  }
  return make(config);
}

/** The form `get` reads back: built-in regularizers as `{ className, config }`, others as they are. */
export function serialize(regularizer: Regularizer | undefined): SerializedRegularizer | Regularizer | RegularizerFunction | null {
  if (!regularizer) return null;
  if (regularizer instanceof FunctionRegularizer) return regularizer.fn;
  if (regularizer instanceof L1 || regularizer instanceof L2 || regularizer instanceof L1L2) {
    return { className: regularizer.constructor.name, config: regularizer.getConfig() };
  }
  return regularizer;
}
