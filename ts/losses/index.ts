// Loss functions by Keras name; the engine computes them (fused with a final softmax or
// sigmoid, in the numerically stable form).
import { ValueError } from '../errors.js';
import { snakeCase } from '../utils/naming.js';

/** The engine's loss kinds. */
export type LossKind =
  | 'categorical_crossentropy'
  | 'sparse_categorical_crossentropy'
  | 'binary_crossentropy'
  | 'mean_squared_error'
  | 'mean_absolute_error';

const KINDS: readonly LossKind[] = [
  'categorical_crossentropy',
  'sparse_categorical_crossentropy',
  'binary_crossentropy',
  'mean_squared_error',
  'mean_absolute_error',
];
const ALIASES: Record<string, LossKind> = { mse: 'mean_squared_error', mae: 'mean_absolute_error' };

export const categorical_crossentropy = 'categorical_crossentropy';
export const sparse_categorical_crossentropy = 'sparse_categorical_crossentropy';
export const binary_crossentropy = 'binary_crossentropy';
export const mean_squared_error = 'mean_squared_error';
export const mean_absolute_error = 'mean_absolute_error';

/** Resolves a loss name in snake_case or camelCase, or an alias ('mse', 'mae'). */
export function getLoss(identifier: string): LossKind {
  if (typeof identifier !== 'string') {
    throw new ValueError(`Could not interpret loss identifier: ${String(identifier)}. Give one of: ${KINDS.join(', ')}`);
  }
  const key = snakeCase(identifier);
  const kind = ALIASES[key] ?? (KINDS.includes(key as LossKind) ? (key as LossKind) : undefined);
  if (!kind) {
    const valid = [...KINDS, ...Object.keys(ALIASES)].map((k) => `'${k}'`).join(', ');
    throw new ValueError(`Unknown loss: '${identifier}'. Valid losses: ${valid}`);
  }
  return kind;
}
