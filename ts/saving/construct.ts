// Makes an object from its config, as Keras' `cls.from_config(config)` (= `cls(**config)`):
// a class's leading constructor parameters are read from the config by name, the rest of the
// config is its options object. `new kiln.layers.Dense(units, { activation })` is thus rebuilt
// from `{ units, activation }`, and classes added later need no table here.
import type { SerializableClass } from './registry.js';

/** The parameter names of the nearest constructor written in `cls` or its ancestors. */
function constructorParameters(cls: SerializableClass): string[] {
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const source = Function.prototype.toString.call(c);
    const start = source.search(/\bconstructor\s*\(/);
    if (start < 0) continue;
    // The parameter list runs to the parenthesis that closes it (defaults may nest brackets).
    let depth = 0;
    let end = source.indexOf('(', start);
    for (let i = end; i < source.length; i++) {
      const ch = source[i];
      if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if (ch === ')' || ch === ']' || ch === '}') depth--;
      if (depth === 0) {
        end = i;
        break;
      }
    }
    const list = source.slice(source.indexOf('(', start) + 1, end);
    return splitTopLevel(list)
      .map((p) =>
        p
          .replace(/=.*$/s, '')
          .replace(/^\s*\.\.\./, '')
          .trim(),
      )
      .filter((p) => /^[A-Za-z_$][\w$]*$/.test(p));
  }
  return [];
}

/** Splits a parameter list at its top-level commas. */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list) {
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    if (ch === ')' || ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current);
  return parts;
}

/** Classes whose constructor takes the options object first (the base classes themselves). */
const OPTIONS_FIRST = new Set(['args', 'config', 'options', 'kwargs']);

const leadingByClass = new WeakMap<object, string[]>();

/** The constructor parameters before the options object: its main arguments (`units`, `filters`, ...). */
export function leadingParameters(cls: SerializableClass): string[] {
  let leading = leadingByClass.get(cls);
  if (!leading) {
    leading = [];
    for (const name of constructorParameters(cls).slice(0, -1)) {
      if (OPTIONS_FIRST.has(name)) break;
      leading.push(name);
    }
    leadingByClass.set(cls, leading);
  }
  return leading;
}

/**
 * `new cls(...leading parameters from config, rest of config)`, or `cls.fromConfig(config)`
 * when the class defines one.
 */
export function constructFromConfig<T>(cls: SerializableClass, config: Record<string, unknown>): T {
  const custom = (cls as unknown as { fromConfig?: (c: Record<string, unknown>) => T }).fromConfig;
  if (typeof custom === 'function') return custom.call(cls, config);
  const leading = leadingParameters(cls);
  const rest = { ...config };
  for (const name of leading) delete rest[name];
  const Concrete = cls as unknown as new (...args: unknown[]) => T;
  return new Concrete(...leading.map((name) => config[name]), rest);
}
