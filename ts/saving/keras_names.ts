// Keras spells config keys in snake_case, kiln in camelCase; these convert between the two.
import { snakeCase } from '../utils/naming.js';

/** kiln keys whose Keras name is not their plain snake_case. */
const KERAS_KEYS: Record<string, string> = { beta1: 'beta_1', beta2: 'beta_2' };
const KILN_KEYS: Record<string, string> = Object.fromEntries(Object.entries(KERAS_KEYS).map(([kiln, keras]) => [keras, kiln]));

/** 'kernelSize' -> 'kernel_size', 'beta1' -> 'beta_1'. */
export function kerasKey(key: string): string {
  return KERAS_KEYS[key] ?? snakeCase(key);
}

/** 'kernel_size' -> 'kernelSize', 'beta_1' -> 'beta1'. */
export function kilnKey(key: string): string {
  return KILN_KEYS[key] ?? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** 'glorot_uniform' -> 'GlorotUniform', as Keras names the classes behind its strings. */
export function pascalCase(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
