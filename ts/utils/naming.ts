/** Keras spells names in snake_case; kiln accepts camelCase too. */
/** Keras' to_snake_case: 'MaxPooling2D' -> 'max_pooling2d', 'glorotUniform' -> 'glorot_uniform'. */
export function snakeCase(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

const counters = new Map<string, number>();

/** Keras' automatic names: 'dense', then 'dense_1', 'dense_2', ... */
export function uniqueName(prefix: string): string {
  const n = counters.get(prefix) ?? 0;
  counters.set(prefix, n + 1);
  return n === 0 ? prefix : `${prefix}_${n}`;
}
