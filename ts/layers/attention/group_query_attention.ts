// Keras' GroupQueryAttention (class GroupedQueryAttention): numQueryHeads query heads share
// numKeyValueHeads key/value heads (each key/value head serves numQueryHeads / numKeyValueHeads
// consecutive query heads), with Keras' EinsumDense weights `query`, `key`, `value`,
// `attention_output`. Written with kiln.ops, so the engine differentiates it.
import { ShapeError, ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import { SymbolicTensor, type Shape } from '../../symbolic.js';
import { Tensor, type TensorLike } from '../../tensor.js';
import type { Variable } from '../../variable.js';
import { checkOptionNames, describeValue, isOptionsObject } from '../../utils/options.js';
import { type ConstraintIdentifier } from '../../constraints/index.js';
import { type RegularizerIdentifier } from '../../regularizers/index.js';
import { type CallOptions, Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { getMask } from '../mask.js';
import { resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { attentionBuildConfig, type Projection, projectionVariableGroups } from './projections.js';

export interface GroupQueryAttentionArgs extends LayerArgs {
  /** Size of each head. */
  headDim?: number;
  /** The number of query heads (a positive integer, divisible by numKeyValueHeads). */
  numQueryHeads?: number;
  /** Must divide numQueryHeads. */
  numKeyValueHeads?: number;
  /** Dropout rate on the attention probabilities (training only); default 0. */
  dropout?: number;
  /** Default true. */
  useBias?: boolean;
  /** Keras' gated attention: only false is supported. */
  useGate?: boolean;
  /** Keras' sliding-window attention: only null is supported. */
  slidingWindow?: number | null;
  /** Keras' flash-attention switch: a backend choice that changes nothing computed; null or false. */
  flashAttention?: boolean | null;
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
export interface GroupQueryAttentionCallOptions extends CallOptions {
  /** [batch, T, S] (or broadcastable): 1 where query position t may attend to key position s. */
  attentionMask?: LayerInput | TensorLike;
  /** Each query attends only to keys at or before its position. */
  useCausalMask?: boolean;
  /** Also return the attention probabilities [batch, numQueryHeads, T, S]. */
  returnAttentionScores?: boolean;
  /** The value's Keras mask [batch, S] (default: the one the value carries). */
  valueMask?: LayerInput;
  /** The key's Keras mask [batch, S] (default: the one a separate key carries). */
  keyMask?: LayerInput;
}

const OWN_OPTIONS = ['headDim', 'numQueryHeads', 'numKeyValueHeads', 'dropout', 'useBias', 'useGate', 'slidingWindow', 'flashAttention', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint', 'seed'];
const CALL_OPTIONS = ['training', 'mask', 'attentionMask', 'useCausalMask', 'returnAttentionScores', 'valueMask', 'keyMask'];
/** Where a mask hides a score (Keras' large negative number for float32). */
const MASKED_SCORE = -1e9;


/**
 * Grouped-query attention, as Keras' `GroupQueryAttention`: multi-head attention where groups of
 * query heads share key and value heads (numQueryHeads / numKeyValueHeads queries per pair).
 * Called as `layer.apply(query, value, key?, options)` on [batch, T, dim] and [batch, S, dim]
 * tensors; the output has the query's shape. Gated and sliding-window attention, flash attention
 * and `seed` are refused.
 */
export class GroupQueryAttention extends Layer {
  /** The size of each head. */
  readonly headDim: number;
  /** The number of query heads. */
  readonly numQueryHeads: number;
  /** The number of key and value heads. */
  readonly numKeyValueHeads: number;
  /** Dropout rate on the attention probabilities (training only). */
  readonly dropout: number;
  /** Whether the projections have biases. */
  readonly useBias: boolean;
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
  private unsavedCallOptions: string[] = [];
  private readonly causalCalls = new WeakSet<SymbolicTensor>();

  /** `new GroupQueryAttention(headDim, numQueryHeads, numKeyValueHeads, options)` or one options object, as Keras. */
  constructor(headDim: number | GroupQueryAttentionArgs, numQueryHeads?: number, numKeyValueHeads?: number, args: GroupQueryAttentionArgs = {}) {
    const options: GroupQueryAttentionArgs = isOptionsObject(headDim) ? { ...headDim } : { ...args, headDim: headDim as number, numQueryHeads, numKeyValueHeads };
    const { headDim: _d, numQueryHeads: _q, numKeyValueHeads: _kv, dropout, useBias, useGate, slidingWindow, flashAttention, kernelInitializer, biasInitializer, seed, ...rest } = options;
    super(rest as LayerArgs, OWN_OPTIONS);
    const positive = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
    for (const [name, v] of [['headDim', _d], ['numQueryHeads', _q], ['numKeyValueHeads', _kv]] as const) {
      if (!positive(v)) throw new ValueError(`Layer "${this.name}": ${name} must be a positive integer, got ${describeValue(v)}`);
    }
    if ((_q as number) % (_kv as number) !== 0) throw new ValueError(`\`num_query_heads\` must be divisible by \`num_key_value_heads\`. Received: numQueryHeads=${_q}, numKeyValueHeads=${_kv}`);
    if (dropout !== undefined && !(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) throw new ValueError(`Layer "${this.name}": dropout must be a number in [0, 1), got ${describeValue(dropout)}`);
    if (useGate !== undefined && useGate !== false) throw new ValueError(`Layer "${this.name}": useGate true (gated attention) is not supported, got ${describeValue(useGate)}`);
    if (slidingWindow !== undefined && slidingWindow !== null) throw new ValueError(`Layer "${this.name}": slidingWindow is not supported, got ${describeValue(slidingWindow)}`);
    if (flashAttention !== undefined && flashAttention !== null && flashAttention !== false) throw new ValueError(`Layer "${this.name}": flashAttention is not supported (kiln computes attention one way), got ${describeValue(flashAttention)}`);
    if (seed !== undefined && seed !== null) throw new ValueError(`Layer "${this.name}": seed is not supported; call kiln.setSeed(n) to make dropout repeatable`);
    this.headDim = _d as number;
    this.numQueryHeads = _q as number;
    this.numKeyValueHeads = _kv as number;
    this.dropout = dropout ?? 0;
    this.useBias = useBias ?? true;
    this.kernelInitializer = kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = biasInitializer ?? 'zeros';
    getInitializer(this.kernelInitializer);
    getInitializer(this.biasInitializer);
    this.penalties = resolveWeightPenalties(options as Record<string, unknown>, ['kernel', 'bias'] as const);
  }

  build(inputShape: Shape | Shape[]): void {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const [query, value, key = value] = shapes;
    if (value === undefined) throw new ValueError(`Layer "${this.name}": GroupQueryAttention needs a query and a value: call it as apply(query, value) or apply(query, value, key)`);
    const show = (s: Shape) => `[${s.map((d) => d ?? 'null').join(', ')}]`;
    for (const [what, shape] of [['query', query], ['value', value], ['key', key]] as const) {
      if (shape.length !== 3 || shape[2] === null) throw new ShapeError(`Layer "${this.name}": the ${what} must have shape [batch, sequence, features] with known features, got ${show(shape)}`);
    }
    if (query[2] !== value[2]) throw new ShapeError(`The last dimension of \`query_shape\` and \`value_shape\` must be equal, but are ${query[2]}, ${value[2]}. Received: query_shape=${show(query)}, value_shape=${show(value)}`);
    if (value[1] !== key[1]) throw new ShapeError(`All dimensions of \`value\` and \`key\`, except the last one, must be equal. Received: value_shape=${show(value)} and key_shape=${show(key)}`);
    const projection = (name: string, input: number, heads: number): Projection => ({
      kernel: this.addWeight({ name: `${name}/kernel`, shape: [input, heads, this.headDim], initializer: this.kernelInitializer, ...this.penalties.kernel }),
      bias: this.useBias ? this.addWeight({ name: `${name}/bias`, shape: [heads, this.headDim], initializer: this.biasInitializer, ...this.penalties.bias }) : undefined,
    });
    // Keras' weight order: query, key, value, attention_output, each kernel then bias.
    this.query = projection('query', query[2] as number, this.numQueryHeads);
    this.key = projection('key', key[2] as number, this.numKeyValueHeads);
    this.value = projection('value', value[2] as number, this.numKeyValueHeads);
    const features = query[2] as number;
    this.attentionOutput = {
      kernel: this.addWeight({ name: 'attention_output/kernel', shape: [this.numQueryHeads, this.headDim, features], initializer: this.kernelInitializer, ...this.penalties.kernel }),
      bias: this.useBias ? this.addWeight({ name: 'attention_output/bias', shape: [features], initializer: this.biasInitializer, ...this.penalties.bias }) : undefined,
    };
  }

  /**
   * `apply(query, value)`, `apply(query, value, key)`, each optionally followed by the call
   * options (`{ attentionMask, useCausalMask, returnAttentionScores, training }`).
   */
  apply<T = SymbolicTensor>(query: SymbolicTensor | SymbolicTensor[], value?: SymbolicTensor | GroupQueryAttentionCallOptions, key?: SymbolicTensor | GroupQueryAttentionCallOptions, options?: GroupQueryAttentionCallOptions): T;
  apply<T = Tensor>(query: Tensor | TensorLike | Tensor[], value?: Tensor | TensorLike | GroupQueryAttentionCallOptions, key?: Tensor | TensorLike | GroupQueryAttentionCallOptions, options?: GroupQueryAttentionCallOptions): T;
  apply(query: unknown, value?: unknown, key?: unknown, options?: GroupQueryAttentionCallOptions): LayerOutput | LayerOutput[] {
    const isTensor = (v: unknown) => v instanceof SymbolicTensor || v instanceof Tensor || Array.isArray(v) || ArrayBuffer.isView(v);
    let tensors: unknown[];
    let callOptions: GroupQueryAttentionCallOptions;
    if (Array.isArray(query) && query.length > 0 && query.every((v) => v instanceof SymbolicTensor || v instanceof Tensor)) {
      tensors = query;
      callOptions = (value as GroupQueryAttentionCallOptions) ?? {};
    } else {
      tensors = [query, ...[value, key].filter((v) => v !== undefined && isTensor(v))];
      callOptions = ([value, key, options].find((v) => v !== undefined && !isTensor(v)) as GroupQueryAttentionCallOptions) ?? {};
    }
    if (tensors.length < 2 || tensors.length > 3) throw new ValueError(`Layer "${this.name}": GroupQueryAttention takes a query, a value and optionally a key, got ${tensors.length} tensor(s)`);
    if (typeof callOptions !== 'object' || callOptions === null) throw new ValueError(`Layer "${this.name}": call options must be an object, got ${describeValue(callOptions)}`);
    checkOptionNames(`Layer "${this.name}" call`, callOptions, CALL_OPTIONS);
    const symbolicCall = tensors.some((v) => v instanceof SymbolicTensor);
    const unsaved = (['attentionMask', 'returnAttentionScores', 'valueMask', 'keyMask', 'mask'] as const).filter((k) => callOptions[k] !== undefined && callOptions[k] !== false);
    if (unsaved.length > 0 && symbolicCall) this.unsavedCallOptions.push(...unsaved);
    // Keras ignores the key's mask when the key is the value.
    const valueMask = callOptions.valueMask ?? getMask(tensors[1] as LayerInput);
    const keyMask = callOptions.keyMask ?? (tensors[2] !== undefined && tensors[2] !== tensors[1] ? getMask(tensors[2] as LayerInput) : undefined);
    this.returnScores = callOptions.returnAttentionScores === true;
    try {
      const output = super.apply(tensors as Tensor[], { ...callOptions, valueMask, keyMask } as CallOptions);
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
    const { attentionMask, useCausalMask, valueMask, keyMask, mask: queryMask } = options as GroupQueryAttentionCallOptions;
    const project = (x: LayerInput, p: Projection) => {
      const y = ops.einsum('abc,cde->abde', x, p.kernel as never);
      return p.bias ? ops.add(y, p.bias) : y;
    };
    // Each key/value head serves `repeats` consecutive query heads (Keras' ops.repeat on axis 2).
    const repeats = this.numQueryHeads / this.numKeyValueHeads;
    const shareHeads = (t: LayerOutput) => (repeats === 1 ? t : ops.repeat(t, repeats, 2));
    // [batch, T|S, query heads, headDim]
    const query = ops.mul(project(queryIn, this.query!), 1 / Math.sqrt(this.headDim));
    const key = shareHeads(project(keyIn, this.key!));
    const value = shareHeads(project(valueIn, this.value!));
    // [batch, heads, T, S]
    let scores: LayerOutput = ops.einsum('bquh,bkuh->buqk', query, key);
    const parts: LayerOutput[] = [];
    if (queryMask !== undefined) parts.push(ops.expandDims(ops.greater(queryMask, 0.5), -1));
    if (valueMask !== undefined) parts.push(ops.expandDims(ops.greater(valueMask, 0.5), -2));
    if (keyMask !== undefined) parts.push(ops.expandDims(ops.greater(keyMask, 0.5), -2));
    if (useCausalMask === true) {
      const [t, s] = [queryIn.shape[1], valueIn.shape[1]];
      if (t === null || s === null) throw new ValueError(`Layer "${this.name}": useCausalMask needs the query's and value's sequence lengths to be known, got ${t} and ${s}`);
      const rows = Array.from({ length: t }, (_, i) => Array.from({ length: s }, (_, j) => (j <= i ? 1 : 0)));
      parts.push(ops.expandDims(ops.greater(rows, 0), 0));
    }
    if (attentionMask !== undefined && attentionMask !== null) parts.push(ops.greater(attentionMask as LayerInput, 0.5));
    if (parts.length > 0) scores = ops.where(ops.expandDims(parts.reduce((a, b) => ops.mul(a, b) as LayerOutput), 1), scores, MASKED_SCORE);
    const probabilities = ops.softmax(scores, -1);
    const dropped = this.dropout > 0 && probabilities instanceof SymbolicTensor ? ops.dropout(probabilities, this.dropout) : probabilities;
    const combined = ops.einsum('buqk,bkuh->bquh', dropped, value);
    let output: LayerOutput = ops.einsum('bquh,uhm->bqm', combined, this.attentionOutput!.kernel as never);
    if (this.attentionOutput!.bias) output = ops.add(output, this.attentionOutput!.bias);
    return this.returnScores ? [output, probabilities] : output;
  }

  /** @internal Saving: Keras passes the query, value and key as separate arguments, not a list. */
  readonly kerasPositionalInputs = true;

  /** @internal Saving: Keras' snake_case group of this class's weights (its Python class is GroupedQueryAttention). */
  static readonly kerasGroupName = 'grouped_query_attention';

  /** @internal Saving: the keyword arguments of the call that produced `output` (Keras' kwargs). */
  kerasCallKwargs(output: SymbolicTensor): Record<string, unknown> {
    return this.causalCalls.has(output) ? { use_causal_mask: true } : {};
  }

  /** @internal Saving: Keras' build_config names the shapes of its call's arguments. */
  kerasBuildConfig(shapes: Shape[]): Record<string, unknown> {
    return attentionBuildConfig(shapes);
  }

  /** @internal Saving: Keras keeps each projection's variables in its EinsumDense sublayer (`_query_dense`, ...). */
  kerasVariableGroups(): { path: string; weights: Variable[] }[] {
    return projectionVariableGroups(this, '_');
  }

  getConfig(): LayerConfig {
    if (this.unsavedCallOptions.length > 0) {
      throw new ValueError(`Layer "${this.name}": a GroupQueryAttention called with ${[...new Set(this.unsavedCallOptions)].map((k) => `\`${k}\``).join(', ')} cannot be saved or cloned yet: kiln's model config does not record these call options, and the model would reload without them`);
    }
    return {
      ...super.getConfig(),
      headDim: this.headDim,
      numQueryHeads: this.numQueryHeads,
      numKeyValueHeads: this.numKeyValueHeads,
      dropout: this.dropout,
      useBias: this.useBias,
      useGate: false,
      slidingWindow: null,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      ...weightPenaltiesConfig(this.penalties),
      seed: null,
    };
  }
}
