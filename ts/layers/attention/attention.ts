// Keras' Attention (Luong-style dot-product attention) over a list [query, value(, key)]:
// scores query·keyᵀ (or, scoreMode 'concat', Σ tanh(query + key)), masked, softmaxed over the
// keys, then the weighted sum of the values. Written with kiln.ops, so the engine
// differentiates it. AdditiveAttention derives from it, as in Keras.
import { ShapeError, ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { SymbolicTensor, type Shape } from '../../symbolic.js';
import { Tensor, type TensorLike } from '../../tensor.js';
import type { Variable } from '../../variable.js';
import { checkOptionNames, describeValue, isOptionsObject } from '../../utils/options.js';
import { type CallOptions, Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { getMask } from '../mask.js';

export interface AttentionArgs extends LayerArgs {
  /** Learn a scalar `scale` for the scores (default false). */
  useScale?: boolean;
  /** 'dot' (default): query·keyᵀ; 'concat': Σ tanh(query + key), times a learnt scalar. */
  scoreMode?: 'dot' | 'concat';
  /** Dropout rate on the attention probabilities (training only); default 0. */
  dropout?: number;
  /** Not supported: kiln.setSeed(n) makes dropout repeatable. */
  seed?: null;
}

/** Options of one call, after the list of tensors (Keras' call keywords). */
export interface AttentionCallOptions extends Omit<CallOptions, 'mask'> {
  /** [queryMask, valueMask], each [batch, T] / [batch, S] or null; default the masks the tensors carry (a single tensor is refused, as Keras). */
  mask?: (LayerInput | null | undefined)[] | LayerInput;
  /** Each query attends only to keys at or before its position. */
  useCausalMask?: boolean;
  /** Also return the attention probabilities [batch, T, S]. */
  returnAttentionScores?: boolean;
}

const CALL_OPTIONS = ['training', 'mask', 'useCausalMask', 'returnAttentionScores'];
/** What Keras subtracts from a masked score (float32). */
const MASKED_OFFSET = 1e9;

/**
 * Dot-product (Luong-style) attention, as Keras' `Attention`: called on `[query, value]` or
 * `[query, value, key]` ([batch, T, dim] and [batch, S, dim]), the scores query·keyᵀ (or, with
 * scoreMode 'concat', Σ tanh(query + key)) are masked, softmaxed over the keys, and the output
 * [batch, T, dim] is the weighted sum of the values. `seed` is refused (use kiln.setSeed).
 */
export class Attention extends Layer {
  /** Whether a scalar scale of the scores is learnt. */
  readonly useScale: boolean;
  /** 'dot' or 'concat'. */
  readonly scoreMode: 'dot' | 'concat';
  /** Dropout rate on the attention probabilities (training only). */
  readonly dropout: number;
  /** The learnt scale, with useScale (after build). */
  scale?: Variable;
  /** The learnt scalar of the 'concat' scores (after build). */
  concatScoreWeight?: Variable;
  private returnScores = false;
  /** Call options of a recorded call that a saved model config cannot hold (see getConfig). */
  private unsavedCallOptions: string[] = [];
  /** Outputs of recorded calls with useCausalMask, saved as Keras' call keyword. */
  private readonly causalCalls = new WeakSet<SymbolicTensor>();

  /** `new Attention({ useScale, scoreMode, dropout })`, Keras' defaults. */
  constructor(args: AttentionArgs = {}) {
    if (args !== undefined && args !== null && !isOptionsObject(args as unknown)) throw new ValueError(`${new.target.name}: expected an options object, got ${describeValue(args)}`);
    const { useScale, scoreMode, dropout, seed, ...rest } = args ?? {};
    super(rest, ['useScale', 'scoreMode', 'dropout', 'seed']);
    this.useScale = useScale ?? new.target.defaultUseScale;
    this.scoreMode = scoreMode ?? 'dot';
    this.dropout = dropout ?? 0;
    if (typeof this.useScale !== 'boolean') throw new ValueError(`Layer "${this.name}": useScale must be true or false, got ${describeValue(useScale)}`);
    if (this.scoreMode !== 'dot' && this.scoreMode !== 'concat')
      throw new ValueError(`Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. Received: score_mode=${describeValue(scoreMode)}`);
    if (!(typeof this.dropout === 'number' && this.dropout >= 0 && this.dropout < 1)) throw new ValueError(`Layer "${this.name}": dropout must be a number in [0, 1), got ${describeValue(dropout)}`);
    if (seed !== undefined && seed !== null) throw new ValueError(`Layer "${this.name}": seed is not supported; call kiln.setSeed(n) to make dropout repeatable`);
  }

  /** Keras' default of useScale: false here, true for AdditiveAttention. */
  static readonly defaultUseScale: boolean = false;

  build(inputShape: Shape | Shape[]): void {
    this.checkShapes(inputShape);
    if (this.useScale) this.scale = this.addWeight({ name: 'scale', shape: [], initializer: 'ones' });
    if (this.scoreMode === 'concat') this.concatScoreWeight = this.addWeight({ name: 'concat_score_weight', shape: [], initializer: 'ones' });
  }

  /** The [query, value, key] shapes, refused unless they are lists of rank ≥ 3 tensors that fit. */
  protected checkShapes(inputShape: Shape | Shape[]): Shape[] {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const kind = this.constructor.name;
    if (shapes.length < 2 || shapes.length > 3)
      throw new ValueError(`${kind} layer accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. Received length: ${shapes.length}.`);
    const [query, value, key = value] = shapes;
    const show = (s: Shape) => `[${s.map((d) => d ?? 'null').join(', ')}]`;
    for (const [what, shape] of [
      ['query', query],
      ['value', value],
      ['key', key],
    ] as const) {
      if (shape.length < 3 || shape[shape.length - 1] === null)
        throw new ShapeError(`Layer "${this.name}": the ${what} must have shape [batch, ..., sequence, features] with known features, got ${show(shape)}`);
    }
    if (query[query.length - 1] !== key[key.length - 1]) throw new ShapeError(`Layer "${this.name}": the query's and key's last axes must be equal, got query ${show(query)} and key ${show(key)}`);
    return [query, value, key];
  }

  /**
   * `apply([query, value])` or `apply([query, value, key])`, optionally followed by the call
   * options (`{ mask, useCausalMask, returnAttentionScores, training }`).
   */
  apply<T = SymbolicTensor>(inputs: SymbolicTensor | SymbolicTensor[], options?: AttentionCallOptions): T;
  apply<T = Tensor>(inputs: TensorLike | (Tensor | TensorLike)[], options?: AttentionCallOptions): T;
  apply(inputs: unknown, options: AttentionCallOptions = {}): LayerOutput | LayerOutput[] {
    const kind = this.constructor.name;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((v) => v instanceof SymbolicTensor || v instanceof Tensor || Array.isArray(v) || ArrayBuffer.isView(v))) {
      throw new ValueError(`${kind} layer must be called on a list of inputs, namely [query, value] or [query, value, key]. Received: inputs=${describeValue(inputs)}.`);
    }
    if (inputs.length < 2 || inputs.length > 3)
      throw new ValueError(`${kind} layer accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. Received length: ${inputs.length}.`);
    if (typeof options !== 'object' || options === null) throw new ValueError(`Layer "${this.name}": call options must be an object, got ${describeValue(options)}`);
    checkOptionNames(`Layer "${this.name}" call`, options, CALL_OPTIONS);
    const tensors = (inputs as unknown[]).map((v) => (v instanceof SymbolicTensor || v instanceof Tensor ? v : ops.add(v as TensorLike, 0))) as LayerInput[];
    if (options.mask !== undefined && options.mask !== null && (!Array.isArray(options.mask) || options.mask.length < 2 || options.mask.length > 3)) {
      throw new ValueError(`${kind} layer mask must be a list, namely [query_mask, value_mask]. Received: mask=${describeValue(options.mask)}.`);
    }
    const masks = ((options.mask as (LayerInput | null | undefined)[] | undefined) ?? [getMask(tensors[0]), getMask(tensors[1])]).map((m) => m ?? undefined);
    const symbolicCall = tensors.some((v) => v instanceof SymbolicTensor);
    // Explicit masks and a second output are not in kiln's saved config (masks the inputs carry are).
    const unsaved = (['mask', 'returnAttentionScores'] as const).filter((k) => options[k] !== undefined && options[k] !== false);
    if (unsaved.length > 0 && symbolicCall) this.unsavedCallOptions.push(...unsaved);
    this.returnScores = options.returnAttentionScores === true;
    try {
      const output = super.apply(tensors as Tensor[], { ...options, mask: masks } as unknown as CallOptions);
      if (symbolicCall && options.useCausalMask === true && output instanceof SymbolicTensor) this.causalCalls.add(output);
      return output;
    } finally {
      this.returnScores = false;
    }
  }

  protected returnsList(): boolean {
    return this.returnScores;
  }

  /** The query's mask, as Keras. */
  computeMask(inputs: LayerInput | LayerInput[], mask?: LayerInput): LayerInput | undefined {
    void inputs;
    const masks = mask as unknown as (LayerInput | undefined)[] | undefined;
    return Array.isArray(masks) ? masks[0] : undefined;
  }

  /** [batch, ..., T, S] scores of each query against each key. */
  protected scores(query: LayerInput, key: LayerInput): LayerOutput {
    if (this.scoreMode === 'dot') {
      const rank = key.shape.length;
      const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
      const scores = ops.matmul(query, ops.transpose(key, perm));
      return this.scale ? ops.mul(scores, this.scale) : scores;
    }
    let sums: LayerOutput = ops.add(ops.expandDims(query, -2), ops.expandDims(key, -3));
    if (this.scale) sums = ops.mul(this.scale, sums);
    return ops.mul(this.concatScoreWeight!, ops.sum(ops.tanh(sums), -1));
  }

  call(inputs: LayerInput | LayerInput[], options: CallOptions = {}): LayerOutput | LayerOutput[] {
    const [query, value, key = value] = inputs as LayerInput[];
    const { useCausalMask } = options as AttentionCallOptions;
    const [queryMask, valueMask] = ((options.mask as unknown as (LayerInput | undefined)[]) ?? []) as (LayerInput | undefined)[];
    let scores = this.scores(query, key);
    const scoresMask = this.scoresMask(query, key, valueMask, useCausalMask === true);
    // Keras subtracts 1e9 from masked scores (rather than replacing them).
    if (scoresMask !== undefined) scores = ops.where(scoresMask, scores, ops.sub(scores, MASKED_OFFSET));
    const probabilities = ops.softmax(scores, -1);
    const dropped = this.dropout > 0 && probabilities instanceof SymbolicTensor ? ops.dropout(probabilities, this.dropout) : probabilities;
    let output: LayerOutput = ops.matmul(dropped, value);
    if (queryMask !== undefined) output = ops.where(ops.expandDims(ops.greater(queryMask, 0.5), -1), output, 0);
    return this.returnScores ? [output, probabilities] : output;
  }

  /** 1 where query t may attend to key s: the value's mask and/or the causal mask; undefined when neither. */
  private scoresMask(query: LayerInput, key: LayerInput, valueMask: LayerInput | undefined, causal: boolean): LayerOutput | undefined {
    const value = valueMask === undefined ? undefined : ops.expandDims(ops.greater(valueMask, 0.5), -2);
    if (!causal) return value;
    const [t, s] = [query.shape[query.shape.length - 2], key.shape[key.shape.length - 2]];
    if (t === null || s === null) throw new ValueError(`Layer "${this.name}": useCausalMask needs the query's and key's sequence lengths to be known, got ${t} and ${s}`);
    // Lower triangular from the top-left corner (key j visible to query i when j <= i), as Keras'.
    const rows = Array.from({ length: t }, (_, i) => Array.from({ length: s }, (_, j) => (j <= i ? 1 : 0)));
    const causalMask = ops.expandDims(ops.greater(rows, 0), 0);
    return value === undefined ? causalMask : ops.mul(value, causalMask);
  }

  /** @internal Saving: the keyword arguments of the call that produced `output` (Keras' kwargs). */
  kerasCallKwargs(output: SymbolicTensor): Record<string, unknown> {
    return this.causalCalls.has(output) ? { use_causal_mask: true } : {};
  }

  getConfig(): LayerConfig {
    // A model reloaded without the call's options would compute something else: refuse.
    if (this.unsavedCallOptions.length > 0) {
      throw new ValueError(
        `Layer "${this.name}": an ${this.constructor.name} called with ${[...new Set(this.unsavedCallOptions)].map((k) => `\`${k}\``).join(', ')} cannot be saved or cloned yet: kiln's model config does not record these call options, and the model would reload without them`,
      );
    }
    return { ...super.getConfig(), useScale: this.useScale, scoreMode: this.scoreMode, dropout: this.dropout, seed: null };
  }
}
