// One rule for options objects: Keras refuses an unexpected keyword argument, so kiln refuses an
// option name it does not know instead of ignoring it (a typo such as `metric:` would otherwise
// train a different model without a word).
import { ValueError } from '../errors.js';

/**
 * Throws a ValueError naming `where`, every unknown key of `options` and the valid names.
 * `options` undefined or null passes; anything but a plain object (see isOptionsObject) is refused.
 */
export function checkOptionNames(where: string, options: unknown, known: readonly string[]): void {
  if (options === undefined || options === null) return;
  if (!isOptionsObject(options)) {
    throw new ValueError(`${where}: expected an options object, got ${describeValue(options)}`);
  }
  const knownSet = new Set(known);
  const unknown = Object.keys(options).filter((key) => !knownSet.has(key));
  if (unknown.length === 0) return;
  const names = unknown.map((key) => `'${key}'`).join(', ');
  const valid = [...known].sort().map((key) => `'${key}'`).join(', ');
  throw new ValueError(`${where}: unknown option${unknown.length > 1 ? 's' : ''} ${names}. Valid options: ${valid}`);
}

/** A plain object (`{ ... }`): not an array, a typed array, a tensor or another class's instance. */
export function isOptionsObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A short description of a value for error messages: its type and, for small values, the value; never "[object Object]". */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `a string of length ${value.length}` : `'${value}'`;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'function':
      return `a function${value.name ? ` '${value.name}'` : ''}`;
    default: {
      const name = (value as object).constructor?.name;
      return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
    }
  }
}
