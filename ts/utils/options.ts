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
  const valid = [...known]
    .sort()
    .map((key) => `'${key}'`)
    .join(', ');
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

/**
 * A value written out for an error message as JSON.stringify writes it (`[1,2]`,
 * `{"a":1}`), with what JSON cannot say spelled out (NaN, Infinity, undefined, bigint,
 * symbols, functions, cycles: JSON.stringify threw on a bigint and showed NaN as null), and cut
 * at 300 characters.
 */
export function formatValue(value: unknown): string {
  const seen = new Set<unknown>();
  const write = (v: unknown, depth: number): string => {
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    if (typeof v === 'boolean' || v === undefined || v === null) return String(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v !== 'object') return describeValue(v);
    if (seen.has(v)) return '[circular]';
    if (depth > 8) return '[...]';
    seen.add(v);
    try {
      if (Array.isArray(v) || ArrayBuffer.isView(v)) return `[${Array.from(v as ArrayLike<unknown>, (item) => write(item, depth + 1)).join(',')}]`;
      if (!isOptionsObject(v)) return describeValue(v);
      return `{${Object.entries(v)
        .map(([k, item]) => `${JSON.stringify(k)}:${write(item, depth + 1)}`)
        .join(',')}}`;
    } finally {
      seen.delete(v);
    }
  };
  const text = write(value, 0);
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
