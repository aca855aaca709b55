// Keras' AdditiveAttention (Bahdanau-style): the scores are Σ scale · tanh(query + key) over
// the features, with a learnt per-feature `scale`; masks, causal masking, dropout and the
// weighted sum are Attention's.
import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import type { LayerConfig, LayerInput, LayerOutput } from '../layer.js';
import { Attention, type AttentionArgs } from './attention.js';

/** The options of AdditiveAttention: Attention's, without `scoreMode`; unknown keys are refused. */
export interface AdditiveAttentionArgs extends Omit<AttentionArgs, 'scoreMode'> {
  /** Learn a per-feature `scale` [features] (default true). */
  useScale?: boolean;
}

/**
 * Additive (Bahdanau-style) attention, as Keras' `AdditiveAttention`: called on
 * `[query, value]` or `[query, value, key]`, the scores are Σ scale · tanh(query + key) over the
 * features (a learnt per-feature `scale` by default), softmaxed over the keys, and the output is
 * the weighted sum of the values. Masks, causal masking and dropout are Attention's.
 */
export class AdditiveAttention extends Attention {
  static readonly defaultUseScale: boolean = true;

  /** `new AdditiveAttention({ useScale, dropout })`, Keras' defaults. */
  constructor(args: AdditiveAttentionArgs = {}) {
    if (args !== null && typeof args === 'object' && 'scoreMode' in args) {
      throw new ValueError(`AdditiveAttention: scoreMode is not an option of AdditiveAttention (its scores are always additive), got scoreMode=${JSON.stringify((args as AttentionArgs).scoreMode)}`);
    }
    super(args);
  }

  build(inputShape: Shape | Shape[]): void {
    const [query] = this.checkShapes(inputShape);
    if (this.useScale) this.scale = this.addWeight({ name: 'scale', shape: [query[query.length - 1] as number], initializer: 'glorot_uniform' });
  }

  protected scores(query: LayerInput, key: LayerInput): LayerOutput {
    const sums = ops.tanh(ops.add(ops.expandDims(query, -2), ops.expandDims(key, -3)));
    return ops.sum(this.scale ? ops.mul(this.scale, sums) : sums, -1);
  }

  getConfig(): LayerConfig {
    const { scoreMode, ...config } = super.getConfig();
    void scoreMode;
    return config;
  }
}
