// Keras' GroupQueryAttention (class GroupedQueryAttention): numQueryHeads query heads share
// numKeyValueHeads key/value heads (each key/value head serves numQueryHeads / numKeyValueHeads
// consecutive query heads), with Keras' EinsumDense weights `query`, `key`, `value`,
// `attention_output`. Written with kiln.ops, so the engine differentiates it.
import { ShapeError, ValueError } from '../../errors.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { describeValue, isOptionsObject } from '../../utils/options.js';
import type { LayerArgs, LayerConfig } from '../layer.js';
import { type ProjectedAttentionCallOptions, ProjectedAttention, SHARED_ATTENTION_OPTIONS, type SharedAttentionArgs, showShape } from './projected_attention.js';
import { attentionBuildConfig, projectionVariableGroups } from './projections.js';

/** GroupQueryAttention's options: its own, then those every projected attention layer takes. */
export interface GroupQueryAttentionArgs extends SharedAttentionArgs {
  /** Size of each head. */
  headDim?: number;
  /** The number of query heads (a positive integer, divisible by numKeyValueHeads). */
  numQueryHeads?: number;
  /** Must divide numQueryHeads. */
  numKeyValueHeads?: number;
  /** Keras' flash-attention switch: a backend choice that changes nothing computed; null or false. */
  flashAttention?: boolean | null;
}

/** Options of one call, after the tensors (Keras' call keywords). */
export type GroupQueryAttentionCallOptions = ProjectedAttentionCallOptions;

const OWN_OPTIONS = ['headDim', 'numQueryHeads', 'numKeyValueHeads', 'flashAttention', ...SHARED_ATTENTION_OPTIONS];

/**
 * Grouped-query attention, as Keras' `GroupQueryAttention`: multi-head attention where groups of
 * query heads share key and value heads (numQueryHeads / numKeyValueHeads queries per pair).
 * Called as `layer.apply(query, value, key?, options)` on [batch, T, dim] and [batch, S, dim]
 * tensors; the output has the query's shape. Gated and sliding-window attention, flash attention
 * and `seed` are refused.
 */
export class GroupQueryAttention extends ProjectedAttention {
  /** The size of each head. */
  readonly headDim: number;
  /** The number of query heads. */
  readonly numQueryHeads: number;
  /** The number of key and value heads. */
  readonly numKeyValueHeads: number;

  /** `new GroupQueryAttention(headDim, numQueryHeads, numKeyValueHeads, options)` or one options object, as Keras. */
  constructor(headDim: number | GroupQueryAttentionArgs, numQueryHeads?: number, numKeyValueHeads?: number, args: GroupQueryAttentionArgs = {}) {
    const options: GroupQueryAttentionArgs = isOptionsObject(headDim) ? { ...headDim } : { ...args, headDim: headDim as number, numQueryHeads, numKeyValueHeads };
    const { headDim: _d, numQueryHeads: _q, numKeyValueHeads: _kv, dropout, useBias, useGate, slidingWindow, flashAttention, kernelInitializer, biasInitializer, seed, ...rest } = options;
    super(rest as LayerArgs, OWN_OPTIONS, { dropout, useBias, useGate, slidingWindow, kernelInitializer, biasInitializer, seed }, options as Record<string, unknown>);
    const positive = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
    for (const [name, v] of [
      ['headDim', _d],
      ['numQueryHeads', _q],
      ['numKeyValueHeads', _kv],
    ] as const) {
      if (!positive(v)) throw new ValueError(`Layer "${this.name}": ${name} must be a positive integer, got ${describeValue(v)}`);
    }
    if ((_q as number) % (_kv as number) !== 0) throw new ValueError(`\`num_query_heads\` must be divisible by \`num_key_value_heads\`. Received: numQueryHeads=${_q}, numKeyValueHeads=${_kv}`);
    if (flashAttention !== undefined && flashAttention !== null && flashAttention !== false)
      throw new ValueError(`Layer "${this.name}": flashAttention is not supported (kiln computes attention one way), got ${describeValue(flashAttention)}`);
    this.headDim = _d as number;
    this.numQueryHeads = _q as number;
    this.numKeyValueHeads = _kv as number;
  }

  protected get queryHeadsPerKeyValueHead(): number {
    return this.numQueryHeads / this.numKeyValueHeads;
  }

  protected get scoreDim(): number {
    return this.headDim;
  }

  build(inputShape: Shape | Shape[]): void {
    const [query, value, key] = this.attentionShapes(inputShape);
    if (query[2] !== value[2])
      throw new ShapeError(
        `The last dimension of \`query_shape\` and \`value_shape\` must be equal, but are ${query[2]}, ${value[2]}. Received: query_shape=${showShape(query)}, value_shape=${showShape(value)}`,
      );
    if (value[1] !== key[1])
      throw new ShapeError(`All dimensions of \`value\` and \`key\`, except the last one, must be equal. Received: value_shape=${showShape(value)} and key_shape=${showShape(key)}`);
    // Keras' weight order: query, key, value, attention_output, each kernel then bias.
    this.query = this.projection('query', query[2] as number, this.numQueryHeads, this.headDim);
    this.key = this.projection('key', key[2] as number, this.numKeyValueHeads, this.headDim);
    this.value = this.projection('value', value[2] as number, this.numKeyValueHeads, this.headDim);
    this.attentionOutput = this.outputProjection(this.numQueryHeads, this.headDim, query[2] as number);
  }

  /** @internal Saving: Keras' snake_case group of this class's weights (its Python class is GroupedQueryAttention). */
  static readonly kerasGroupName = 'grouped_query_attention';

  /** @internal Saving: Keras' build_config names the shapes of its call's arguments. */
  kerasBuildConfig(shapes: Shape[]): Record<string, unknown> {
    return attentionBuildConfig(shapes);
  }

  /** @internal Saving: Keras keeps each projection's variables in its EinsumDense sublayer (`_query_dense`, ...). */
  kerasVariableGroups(): { path: string; weights: Variable[] }[] {
    return projectionVariableGroups(this, '_');
  }

  getConfig(): LayerConfig {
    return { ...this.sharedConfig(), headDim: this.headDim, numQueryHeads: this.numQueryHeads, numKeyValueHeads: this.numKeyValueHeads, useGate: false, slidingWindow: null, seed: null };
  }
}
