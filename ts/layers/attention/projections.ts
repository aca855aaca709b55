// What MultiHeadAttention and GroupQueryAttention share: their four projections and how Keras
// saves them (each an EinsumDense sublayer with its own variable group; a build config naming
// the shapes of the query, value and key arguments).
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';

/** One projection's weights (Keras' EinsumDense kernel and optional bias). */
export type Projection = { kernel: Variable; bias?: Variable };

export interface Projections {
  query?: Projection;
  key?: Projection;
  value?: Projection;
  attentionOutput?: Projection;
}

/** Keras' variable groups of the projections, `<prefix>query_dense/vars` and so on. */
export function projectionVariableGroups(p: Projections, prefix: '' | '_'): { path: string; weights: Variable[] }[] {
  const group = (q: Projection | undefined) => (q ? [q.kernel, ...(q.bias ? [q.bias] : [])] : []);
  return [
    { path: `${prefix}query_dense/vars`, weights: group(p.query) },
    { path: `${prefix}key_dense/vars`, weights: group(p.key) },
    { path: `${prefix}value_dense/vars`, weights: group(p.value) },
    { path: `${prefix}output_dense/vars`, weights: group(p.attentionOutput) },
  ];
}

/** Keras' build_config of an attention call: the shapes of its query, value and key arguments. */
export function attentionBuildConfig(shapes: Shape[]): Record<string, unknown> {
  const [query, value, key] = shapes;
  return { shapes_dict: { query_shape: query, value_shape: value, ...(key ? { key_shape: key } : {}) } };
}
