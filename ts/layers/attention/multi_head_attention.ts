// Keras' MultiHeadAttention: query, key and value projected per head (Keras' EinsumDense
// weights `query`, `key`, `value`, `attention_output`), scaled dot-product attention with
// masks, and the heads projected back. Written with kiln.ops, so the engine differentiates it.
import { ShapeError, ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import { SymbolicTensor, type Shape } from '../../symbolic.js';
import { Tensor, type TensorLike } from '../../tensor.js';
import type { Variable } from '../../variable.js';
import { describeValue } from '../../utils/options.js';
import { type ConstraintIdentifier } from '../../constraints/index.js';
import { type RegularizerIdentifier } from '../../regularizers/index.js';
import { type CallOptions, Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { getMask } from '../mask.js';
import { resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { mainArguments } from '../main_arguments.js';
import { attentionBuildConfig, type Projection, projectionVariableGroups } from './projections.js';

export interface MultiHeadAttentionArgs extends LayerArgs {
  /** The number of attention heads (a positive integer). */
  numHeads?: number;
  /** Size of each head's query and key. */
  keyDim?: number;
  /** Size of each head's value; default keyDim. */
  valueDim?: number | null;
  /** Dropout rate on the attention probabilities (training only); default 0. */
  dropout?: number;
  /** Default true. */
  useBias?: boolean;
  /** The output's last axis; default the query's. */
  outputShape?: number | [number] | null;
  /** The axes attention runs over: only the sequence axis (null, 1 or -2, or a list of it, as Keras writes `[1]`). */
  attentionAxes?: number | number[] | null;
  /** Keras' gated attention: only false is supported. */
  useGate?: boolean;
  /** Keras' sliding-window attention: only null is supported. */
  slidingWindow?: number | null;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  /** A penalty on the projection kernels, added to the loss. Default none. */
  kernelRegularizer?: RegularizerIdentifier | null;
  /** A penalty on the projection biases, added to the loss. Default none. */
  biasRegularizer?: RegularizerIdentifier | null;
  /** Applied to the projection kernels after each optimizer step. Default none. */
  kernelConstraint?: ConstraintIdentifier | null;
  /** Applied to the projection biases after each optimizer step. Default none. */
  biasConstraint?: ConstraintIdentifier | null;
  /** Not supported: kiln.setSeed(n) makes dropout repeatable. */
  seed?: null;
}

/** Options of one call, after the tensors (Keras' call keywords). */
export interface MultiHeadAttentionCallOptions extends CallOptions {
  /** [batch, T, S] (or broadcastable): 1 where query position t may attend to key position s. */
  attentionMask?: LayerInput | TensorLike;
  /** Each query attends only to keys at or before its position (a decoder's self-attention). */
  useCausalMask?: boolean;
  /** Also return the attention probabilities [batch, heads, T, S]. */
  returnAttentionScores?: boolean;
  /** The key's or value's Keras mask [batch, S] (default: the one the value carries). */
  valueMask?: LayerInput;
}

const OWN_OPTIONS = ['numHeads', 'keyDim', 'valueDim', 'dropout', 'useBias', 'outputShape', 'attentionAxes', 'useGate', 'slidingWindow', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint', 'seed'];
const CALL_OPTIONS = ['training', 'mask', 'attentionMask', 'useCausalMask', 'returnAttentionScores', 'valueMask'];
/** Where a mask hides a score (Keras' large negative number for float32). */
const MASKED_SCORE = -1e9;


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
export class MultiHeadAttention extends Layer {
  /** The number of heads. */
  readonly numHeads: number;
  /** The size of each head's query and key. */
  readonly keyDim: number;
  /** The size of each head's value (default keyDim). */
  readonly valueDim: number;
  /** Dropout rate on the attention probabilities (training only). */
  readonly dropout: number;
  /** Whether the projections have biases. */
  readonly useBias: boolean;
  /** The output's last axis, or null for the query's. */
  readonly outputDim: number | null;
  /** The projection kernels' initializer (default 'glorot_uniform'). */
  readonly kernelInitializer: InitializerIdentifier;
  /** The projection biases' initializer (default 'zeros'). */
  readonly biasInitializer: InitializerIdentifier;
  private readonly penalties: Record<'kernel' | 'bias', WeightPenalties>;
  /** The query projection's weights (after build). */
  query?: Projection;
  /** The key projection's weights (after build). */
  key?: Projection;
  /** The value projection's weights (after build). */
  value?: Projection;
  /** The output projection's weights (after build). */
  attentionOutput?: Projection;
  private returnScores = false;
  /** Call options of a recorded call that a saved model config cannot hold yet (see getConfig). */
  private unsavedCallOptions: string[] = [];
  /** Outputs of recorded calls with useCausalMask, saved as Keras' call keyword. */
  private readonly causalCalls = new WeakSet<SymbolicTensor>();

  /** `new MultiHeadAttention(numHeads, keyDim, options)` or one options object, as Keras. */
  constructor(numHeads: number | MultiHeadAttentionArgs, keyDim?: number, args: MultiHeadAttentionArgs = {}) {
    const { main, options } = mainArguments<MultiHeadAttentionArgs>([numHeads, keyDim, args], ['numHeads', 'keyDim']);
    const [_h, _k] = main;
    const { valueDim, dropout, useBias, outputShape, attentionAxes, useGate, slidingWindow, kernelInitializer, biasInitializer, seed, ...rest } = options;
    super(rest as LayerArgs, OWN_OPTIONS);
    const positive = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
    if (!positive(_h)) throw new ValueError(`Layer "${this.name}": numHeads must be a positive integer, got ${describeValue(_h)}`);
    if (!positive(_k)) throw new ValueError(`Layer "${this.name}": keyDim must be a positive integer, got ${describeValue(_k)}`);
    if (valueDim !== undefined && valueDim !== null && !positive(valueDim)) throw new ValueError(`Layer "${this.name}": valueDim must be a positive integer or null, got ${describeValue(valueDim)}`);
    if (dropout !== undefined && !(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) throw new ValueError(`Layer "${this.name}": dropout must be a number in [0, 1), got ${describeValue(dropout)}`);
    const axes = attentionAxes === undefined || attentionAxes === null ? [] : Array.isArray(attentionAxes) ? attentionAxes : [attentionAxes];
    if (axes.length > 1 || axes.some((a) => a !== 1 && a !== -2)) throw new ValueError(`Layer "${this.name}": only attention over the sequence axis of [batch, sequence, features] inputs is supported (attentionAxes null, 1 or [1]), got ${JSON.stringify(attentionAxes)}`);
    if (useGate !== undefined && useGate !== false) throw new ValueError(`Layer "${this.name}": useGate true (gated attention) is not supported, got ${describeValue(useGate)}`);
    if (slidingWindow !== undefined && slidingWindow !== null) throw new ValueError(`Layer "${this.name}": slidingWindow is not supported, got ${describeValue(slidingWindow)}`);
    if (seed !== undefined && seed !== null) throw new ValueError(`Layer "${this.name}": seed is not supported; call kiln.setSeed(n) to make dropout repeatable`);
    const out = Array.isArray(outputShape) ? (outputShape.length === 1 ? outputShape[0] : NaN) : outputShape;
    if (out !== undefined && out !== null && !positive(out)) throw new ValueError(`Layer "${this.name}": outputShape must be a positive integer (the output's last axis) or null, got ${JSON.stringify(outputShape)}`);
    this.numHeads = _h as number;
    this.keyDim = _k as number;
    this.valueDim = (valueDim as number | null | undefined) ?? this.keyDim;
    this.dropout = dropout ?? 0;
    this.useBias = useBias ?? true;
    this.outputDim = out ?? null;
    this.kernelInitializer = kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = biasInitializer ?? 'zeros';
    getInitializer(this.kernelInitializer);
    getInitializer(this.biasInitializer);
    this.penalties = resolveWeightPenalties(options as Record<string, unknown>, ['kernel', 'bias'] as const);
  }

  build(inputShape: Shape | Shape[]): void {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const [query, value, key = value] = shapes;
    if (value === undefined) throw new ValueError(`Layer "${this.name}": MultiHeadAttention needs a query and a value: call it as apply(query, value) or apply(query, value, key)`);
    for (const [what, shape] of [['query', query], ['value', value], ['key', key]] as const) {
      if (shape.length !== 3 || shape[2] === null) throw new ShapeError(`Layer "${this.name}": the ${what} must have shape [batch, sequence, features] with known features, got [${shape.map((d) => d ?? 'null').join(', ')}]`);
    }
    const dim = (s: Shape) => s[2] as number;
    const projection = (name: string, input: number, heads: number, size: number): Projection => ({
      kernel: this.addWeight({ name: `${name}/kernel`, shape: [input, heads, size], initializer: this.kernelInitializer, ...this.penalties.kernel }),
      bias: this.useBias ? this.addWeight({ name: `${name}/bias`, shape: [heads, size], initializer: this.biasInitializer, ...this.penalties.bias }) : undefined,
    });
    // Keras' weight order: query, key, value, attention_output, each kernel then bias.
    this.query = projection('query', dim(query), this.numHeads, this.keyDim);
    this.key = projection('key', dim(key), this.numHeads, this.keyDim);
    this.value = projection('value', dim(value), this.numHeads, this.valueDim);
    const outputDim = this.outputDim ?? dim(query);
    this.attentionOutput = {
      kernel: this.addWeight({ name: 'attention_output/kernel', shape: [this.numHeads, this.valueDim, outputDim], initializer: this.kernelInitializer, ...this.penalties.kernel }),
      bias: this.useBias ? this.addWeight({ name: 'attention_output/bias', shape: [outputDim], initializer: this.biasInitializer, ...this.penalties.bias }) : undefined,
    };
  }

  /**
   * `apply(query, value)`, `apply(query, value, key)`, each optionally followed by the call
   * options (`{ attentionMask, useCausalMask, returnAttentionScores, training }`); a list
   * `[query, value, key?]` works too.
   */
  apply<T = SymbolicTensor>(query: SymbolicTensor | SymbolicTensor[], value?: SymbolicTensor | MultiHeadAttentionCallOptions, key?: SymbolicTensor | MultiHeadAttentionCallOptions, options?: MultiHeadAttentionCallOptions): T;
  apply<T = Tensor>(query: Tensor | TensorLike | Tensor[], value?: Tensor | TensorLike | MultiHeadAttentionCallOptions, key?: Tensor | TensorLike | MultiHeadAttentionCallOptions, options?: MultiHeadAttentionCallOptions): T;
  apply(query: unknown, value?: unknown, key?: unknown, options?: MultiHeadAttentionCallOptions): LayerOutput | LayerOutput[] {
    const isTensor = (v: unknown) => v instanceof SymbolicTensor || v instanceof Tensor || Array.isArray(v) || ArrayBuffer.isView(v);
    let tensors: unknown[];
    let callOptions: MultiHeadAttentionCallOptions;
    if (Array.isArray(query) && query.length > 0 && query.every((v) => v instanceof SymbolicTensor || v instanceof Tensor)) {
      tensors = query;
      callOptions = (value as MultiHeadAttentionCallOptions) ?? {};
    } else {
      const given = [value, key].filter((v) => v !== undefined && isTensor(v));
      tensors = [query, ...given];
      callOptions = ([value, key, options].find((v) => v !== undefined && !isTensor(v)) as MultiHeadAttentionCallOptions) ?? {};
    }
    if (tensors.length < 2 || tensors.length > 3) throw new ValueError(`Layer "${this.name}": MultiHeadAttention takes a query, a value and optionally a key, got ${tensors.length} tensor(s)`);
    if (typeof callOptions !== 'object' || callOptions === null) throw new ValueError(`Layer "${this.name}": call options must be an object, got ${describeValue(callOptions)}`);
    const unknown = Object.keys(callOptions).filter((k) => !CALL_OPTIONS.includes(k));
    if (unknown.length > 0) throw new ValueError(`Layer "${this.name}": unknown call option(s) ${unknown.map((k) => `'${k}'`).join(', ')}. Valid options: ${CALL_OPTIONS.map((k) => `'${k}'`).join(', ')}`);
    const symbolicCall = tensors.some((v) => v instanceof SymbolicTensor);
    // Tensors by keyword and a second output are not in kiln's saved config yet.
    const unsaved = (['attentionMask', 'returnAttentionScores', 'valueMask', 'mask'] as const).filter((k) => callOptions[k] !== undefined && callOptions[k] !== false);
    if (unsaved.length > 0 && symbolicCall) this.unsavedCallOptions.push(...unsaved);
    // The value's and key's Keras masks travel with them; the query's is the call's `mask`.
    const valueMask = callOptions.valueMask ?? getMask(tensors[2] as LayerInput) ?? getMask(tensors[1] as LayerInput);
    this.returnScores = callOptions.returnAttentionScores === true;
    try {
      const output = super.apply(tensors as Tensor[], { ...callOptions, valueMask } as CallOptions);
      if (symbolicCall && callOptions.useCausalMask === true && output instanceof SymbolicTensor) this.causalCalls.add(output);
      return output;
    } finally {
      this.returnScores = false;
    }
  }

  protected returnsList(): boolean {
    return this.returnScores;
  }

  computeMask(inputs: LayerInput | LayerInput[], mask?: LayerInput): LayerInput | undefined {
    void inputs;
    return mask;
  }

  call(inputs: LayerInput | LayerInput[], options: CallOptions = {}): LayerOutput | LayerOutput[] {
    const [queryIn, valueIn, keyIn = valueIn] = inputs as LayerInput[];
    const { attentionMask, useCausalMask, valueMask, mask: queryMask } = options as MultiHeadAttentionCallOptions;
    const project = (x: LayerInput, p: Projection) => {
      const y = ops.einsum('abc,cde->abde', x, p.kernel as never);
      return p.bias ? ops.add(y, p.bias) : y;
    };
    // [batch, T|S, heads, size]
    const query = ops.mul(project(queryIn, this.query!), 1 / Math.sqrt(this.keyDim));
    const key = project(keyIn, this.key!);
    const value = project(valueIn, this.value!);
    // [batch, heads, T, S]
    let scores: LayerOutput = ops.einsum('aecd,abcd->acbe', key, query);
    const mask = this.attentionMask(queryIn, valueIn, queryMask, valueMask, attentionMask, useCausalMask === true);
    if (mask !== undefined) scores = ops.where(ops.expandDims(mask, 1), scores, MASKED_SCORE);
    const probabilities = ops.softmax(scores, -1);
    const dropped = this.dropout > 0 && probabilities instanceof SymbolicTensor ? ops.dropout(probabilities, this.dropout) : probabilities;
    // [batch, T, heads, valueDim] -> [batch, T, output]
    const combined = ops.einsum('acbe,aecd->abcd', dropped, value);
    let output: LayerOutput = ops.einsum('abcd,cde->abe', combined, this.attentionOutput!.kernel as never);
    if (this.attentionOutput!.bias) output = ops.add(output, this.attentionOutput!.bias);
    return this.returnScores ? [output, probabilities] : output;
  }

  /**
   * The [batch, T, S] mask of allowed (query, key) pairs, 1 or 0, from the explicit mask, the
   * query's and value's Keras masks and the causal mask, combined by multiplication (logical
   * and, as Keras); undefined when there is none.
   */
  private attentionMask(query: LayerInput, value: LayerInput, queryMask: LayerInput | undefined, valueMask: LayerInput | undefined, attentionMask: LayerInput | TensorLike | undefined, causal: boolean): LayerOutput | undefined {
    const parts: LayerOutput[] = [];
    if (queryMask !== undefined) parts.push(ops.expandDims(queryMask, -1));
    if (valueMask !== undefined) parts.push(ops.expandDims(valueMask, -2));
    if (causal) {
      const [t, s] = [query.shape[1], value.shape[1]];
      if (t === null || s === null) throw new ValueError(`Layer "${this.name}": useCausalMask needs the query's and value's sequence lengths to be known, got ${t} and ${s}`);
      // Lower triangular from the top-left corner (key j visible to query i when j <= i), as Keras'.
      const rows = Array.from({ length: t }, (_, i) => Array.from({ length: s }, (_, j) => (j <= i ? 1 : 0)));
      parts.push(ops.expandDims(ops.greater(rows, 0), 0));
    }
    if (attentionMask !== undefined && attentionMask !== null) parts.push(ops.greater(attentionMask as LayerInput, 0.5));
    if (parts.length === 0) return undefined;
    return parts.reduce((a, b) => ops.mul(a, b) as LayerOutput);
  }

  /** @internal Saving: Keras passes the query, value and key as separate arguments, not a list. */
  readonly kerasPositionalInputs = true;

  /** @internal Saving: the keyword arguments of the call that produced `output` (Keras' kwargs). */
  kerasCallKwargs(output: SymbolicTensor): Record<string, unknown> {
    return this.causalCalls.has(output) ? { use_causal_mask: true } : {};
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
    // A model reloaded without the call's options would compute something else: refuse.
    if (this.unsavedCallOptions.length > 0) {
      throw new ValueError(`Layer "${this.name}": a MultiHeadAttention called with ${[...new Set(this.unsavedCallOptions)].map((k) => `\`${k}\``).join(', ')} cannot be saved or cloned yet: kiln's model config does not record call options, and the model would reload without them`);
    }
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputDim,
      attentionAxes: null,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      ...weightPenaltiesConfig(this.penalties),
    };
  }
}
