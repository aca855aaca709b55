// Keras' MultiHeadAttention: query, key and value projected per head (Keras' EinsumDense
// weights `query`, `key`, `value`, `attention_output`), scaled dot-product attention with
// masks, and the heads projected back. Written with kiln.ops, so the engine differentiates it.
import { ValueError } from '../../errors.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { describeValue } from '../../utils/options.js';
import type { LayerArgs, LayerConfig } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { type ProjectedAttentionCallOptions, ProjectedAttention, SHARED_ATTENTION_OPTIONS, type SharedAttentionArgs } from './projected_attention.js';
import { attentionBuildConfig, projectionVariableGroups } from './projections.js';

/** MultiHeadAttention's options: its own, then those every projected attention layer takes. */
export interface MultiHeadAttentionArgs extends SharedAttentionArgs {
  /** The number of attention heads (a positive integer). */
  numHeads?: number;
  /** Size of each head's query and key. */
  keyDim?: number;
  /** Size of each head's value; default keyDim. */
  valueDim?: number | null;
  /** The output's last axis; default the query's. */
  outputShape?: number | [number] | null;
  /** The axes attention runs over: only the sequence axis (null, 1 or -2, or a list of it, as Keras writes `[1]`). */
  attentionAxes?: number | number[] | null;
}

/** Options of one call, after the tensors (Keras' call keywords). */
export type MultiHeadAttentionCallOptions = ProjectedAttentionCallOptions;

const OWN_OPTIONS = ['numHeads', 'keyDim', 'valueDim', 'outputShape', 'attentionAxes', ...SHARED_ATTENTION_OPTIONS];

/**
 * Multi-head attention, as Keras' `MultiHeadAttention` (the Transformer's): the query, key and
 * value are projected into `numHeads` heads, each attends with scaled dot products, and the
 * heads are projected back. Called as `layer.apply(query, value, key?, options)` on [batch, T,
 * dim] and [batch, S, dim] tensors (key defaults to value); the output is [batch, T, outputShape
 * or the query's dim]. Attention runs over the sequence axis only; gated and sliding-window
 * attention and `seed` are refused.
 * @example
 * ```ts
 * const tokens = kiln.Input({ shape: [16, 64] });
 * const attention = new kiln.layers.MultiHeadAttention(4, 16);
 * const contextual = attention.apply(tokens, tokens, { useCausalMask: true }); // [null, 16, 64]
 * ```
 */
export class MultiHeadAttention extends ProjectedAttention {
  /** The number of heads. */
  readonly numHeads: number;
  /** The size of each head's query and key. */
  readonly keyDim: number;
  /** The size of each head's value (default keyDim). */
  readonly valueDim: number;
  /** The output's last axis, or null for the query's. */
  readonly outputDim: number | null;
  protected get queryHeadsPerKeyValueHead(): number {
    return 1;
  }

  /** `new MultiHeadAttention(numHeads, keyDim, options)` or one options object, as Keras. */
  constructor(numHeads: number | MultiHeadAttentionArgs, keyDim?: number, args: MultiHeadAttentionArgs = {}) {
    const { main, options } = mainArguments<MultiHeadAttentionArgs>([numHeads, keyDim, args], ['numHeads', 'keyDim']);
    const [_h, _k] = main;
    const { valueDim, dropout, useBias, outputShape, attentionAxes, useGate, slidingWindow, kernelInitializer, biasInitializer, seed, ...rest } = options;
    super(rest as LayerArgs, OWN_OPTIONS, { dropout, useBias, useGate, slidingWindow, kernelInitializer, biasInitializer, seed }, options as Record<string, unknown>);
    const positive = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
    if (!positive(_h)) throw new ValueError(`Layer "${this.name}": numHeads must be a positive integer, got ${describeValue(_h)}`);
    if (!positive(_k)) throw new ValueError(`Layer "${this.name}": keyDim must be a positive integer, got ${describeValue(_k)}`);
    if (valueDim !== undefined && valueDim !== null && !positive(valueDim)) throw new ValueError(`Layer "${this.name}": valueDim must be a positive integer or null, got ${describeValue(valueDim)}`);
    const axes = attentionAxes === undefined || attentionAxes === null ? [] : Array.isArray(attentionAxes) ? attentionAxes : [attentionAxes];
    if (axes.length > 1 || axes.some((a) => a !== 1 && a !== -2))
      throw new ValueError(
        `Layer "${this.name}": only attention over the sequence axis of [batch, sequence, features] inputs is supported (attentionAxes null, 1 or [1]), got ${JSON.stringify(attentionAxes)}`,
      );
    const out = Array.isArray(outputShape) ? (outputShape.length === 1 ? outputShape[0] : NaN) : outputShape;
    if (out !== undefined && out !== null && !positive(out))
      throw new ValueError(`Layer "${this.name}": outputShape must be a positive integer (the output's last axis) or null, got ${JSON.stringify(outputShape)}`);
    this.numHeads = _h as number;
    this.keyDim = _k as number;
    this.valueDim = (valueDim as number | null | undefined) ?? this.keyDim;
    this.outputDim = out ?? null;
  }

  protected get scoreDim(): number {
    return this.keyDim;
  }

  build(inputShape: Shape | Shape[]): void {
    const [query, value, key] = this.attentionShapes(inputShape);
    const dim = (s: Shape) => s[2] as number;
    // Keras' weight order: query, key, value, attention_output, each kernel then bias.
    this.query = this.projection('query', dim(query), this.numHeads, this.keyDim);
    this.key = this.projection('key', dim(key), this.numHeads, this.keyDim);
    this.value = this.projection('value', dim(value), this.numHeads, this.valueDim);
    this.attentionOutput = this.outputProjection(this.numHeads, this.valueDim, this.outputDim ?? dim(query));
  }

  /** @internal Saving: Keras' build_config names the shapes of its call's arguments. */
  kerasBuildConfig(shapes: Shape[]): Record<string, unknown> {
    return attentionBuildConfig(shapes);
  }

  /** @internal Saving: Keras keeps each projection's variables in its EinsumDense sublayer. */
  kerasVariableGroups(): { path: string; weights: Variable[] }[] {
    return projectionVariableGroups(this, '');
  }

  getConfig(): LayerConfig {
    return { ...this.sharedConfig(), numHeads: this.numHeads, keyDim: this.keyDim, valueDim: this.valueDim, outputShape: this.outputDim, attentionAxes: null };
  }
}
