// What Keras' MultiHeadAttention and GroupedQueryAttention compute alike: the query, key and
// value projected per head, scaled dot-product scores masked as Keras masks them, softmax,
// dropout, the heads combined and projected back. The two subclasses differ only in how many
// key/value heads there are and how their weights are sized and saved.
import { ShapeError, ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import { SymbolicTensor, type Shape } from '../../symbolic.js';
import { Tensor, type TensorLike } from '../../tensor.js';
import { checkOptionNames, describeValue } from '../../utils/options.js';
import type { ConstraintIdentifier } from '../../constraints/index.js';
import type { RegularizerIdentifier } from '../../regularizers/index.js';
import { type CallOptions, Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { getMask } from '../mask.js';
import { resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import type { Projection } from './projections.js';

/** Options of one attention call, after the tensors (Keras' call keywords). */
export interface ProjectedAttentionCallOptions extends CallOptions {
  /** [batch, T, S] (or broadcastable): 1 where query position t may attend to key position s. */
  attentionMask?: LayerInput | TensorLike;
  /** Each query attends only to keys at or before its position (a decoder's self-attention). */
  useCausalMask?: boolean;
  /** Also return the attention probabilities [batch, heads, T, S]. */
  returnAttentionScores?: boolean;
  /** The value's Keras mask [batch, S] (default: the one the value carries). */
  valueMask?: LayerInput;
  /** The key's Keras mask [batch, S] (default: the one a separately given key carries). */
  keyMask?: LayerInput;
}

/** The constructor options both attention layers share (validated here once). */
export interface SharedAttentionArgs extends LayerArgs {
  /** Dropout rate on the attention probabilities (training only); default 0. */
  dropout?: number;
  /** Default true. */
  useBias?: boolean;
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

/** The names of SharedAttentionArgs, for each layer's list of the options it takes. */
export const SHARED_ATTENTION_OPTIONS = [
  'dropout',
  'useBias',
  'useGate',
  'slidingWindow',
  'kernelInitializer',
  'biasInitializer',
  'kernelRegularizer',
  'biasRegularizer',
  'kernelConstraint',
  'biasConstraint',
  'seed',
];

const CALL_OPTIONS = ['training', 'mask', 'attentionMask', 'useCausalMask', 'returnAttentionScores', 'valueMask', 'keyMask'];
/** Call options holding tensors or a second output, which kiln's saved config cannot hold yet. */
const UNSAVED_CALL_OPTIONS = ['attentionMask', 'returnAttentionScores', 'valueMask', 'keyMask', 'mask'] as const;
/** Where a mask hides a score (Keras' large negative number for float32). */
const MASKED_SCORE = -1e9;

/** The shared half of MultiHeadAttention and GroupQueryAttention (not exported as a layer). */
export abstract class ProjectedAttention extends Layer {
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
  /** Call options of a recorded call that a saved model config cannot hold yet (see getConfig). */
  private unsavedCallOptions: string[] = [];
  /** Outputs of recorded calls with useCausalMask, saved as Keras' call keyword. */
  private readonly causalCalls = new WeakSet<SymbolicTensor>();

  protected constructor(rest: LayerArgs, ownOptions: string[], shared: Omit<SharedAttentionArgs, keyof LayerArgs>, allOptions: Record<string, unknown>) {
    super(rest, ownOptions);
    const { dropout, useBias, useGate, slidingWindow, kernelInitializer, biasInitializer, seed } = shared;
    if (dropout !== undefined && !(typeof dropout === 'number' && dropout >= 0 && dropout < 1))
      throw new ValueError(`Layer "${this.name}": dropout must be a number in [0, 1), got ${describeValue(dropout)}`);
    if (useGate !== undefined && useGate !== false) throw new ValueError(`Layer "${this.name}": useGate true (gated attention) is not supported, got ${describeValue(useGate)}`);
    if (slidingWindow !== undefined && slidingWindow !== null) throw new ValueError(`Layer "${this.name}": slidingWindow is not supported, got ${describeValue(slidingWindow)}`);
    if (seed !== undefined && seed !== null) throw new ValueError(`Layer "${this.name}": seed is not supported; call kiln.setSeed(n) to make dropout repeatable`);
    this.dropout = dropout ?? 0;
    this.useBias = useBias ?? true;
    this.kernelInitializer = kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = biasInitializer ?? 'zeros';
    getInitializer(this.kernelInitializer);
    getInitializer(this.biasInitializer);
    this.penalties = resolveWeightPenalties(allOptions, ['kernel', 'bias'] as const);
  }

  /** How many query heads each key/value head serves (1 for multi-head attention). */
  protected abstract get queryHeadsPerKeyValueHead(): number;
  /** The size of each head's query and key, which scales the scores by 1/√size. */
  protected abstract get scoreDim(): number;

  /** The query, value and key shapes (key defaults to value), each checked to be [batch, sequence, features]. */
  protected attentionShapes(inputShape: Shape | Shape[]): [Shape, Shape, Shape] {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const [query, value, key = value] = shapes;
    if (value === undefined) throw new ValueError(`Layer "${this.name}": ${this.constructor.name} needs a query and a value: call it as apply(query, value) or apply(query, value, key)`);
    for (const [what, shape] of [
      ['query', query],
      ['value', value],
      ['key', key],
    ] as const) {
      if (shape.length !== 3 || shape[2] === null) throw new ShapeError(`Layer "${this.name}": the ${what} must have shape [batch, sequence, features] with known features, got ${showShape(shape)}`);
    }
    return [query, value, key];
  }

  /** A projection `name` from `input` features to [heads, size] (Keras' EinsumDense kernel and bias). */
  protected projection(name: string, input: number, heads: number, size: number): Projection {
    return {
      kernel: this.addWeight({ name: `${name}/kernel`, shape: [input, heads, size], initializer: this.kernelInitializer, ...this.penalties.kernel }),
      bias: this.useBias ? this.addWeight({ name: `${name}/bias`, shape: [heads, size], initializer: this.biasInitializer, ...this.penalties.bias }) : undefined,
    };
  }

  /** The output projection from [heads, size] back to `output` features. */
  protected outputProjection(heads: number, size: number, output: number): Projection {
    return {
      kernel: this.addWeight({ name: 'attention_output/kernel', shape: [heads, size, output], initializer: this.kernelInitializer, ...this.penalties.kernel }),
      bias: this.useBias ? this.addWeight({ name: 'attention_output/bias', shape: [output], initializer: this.biasInitializer, ...this.penalties.bias }) : undefined,
    };
  }

  /**
   * `apply(query, value)`, `apply(query, value, key)`, each optionally followed by the call
   * options (`{ attentionMask, useCausalMask, returnAttentionScores, training }`); a list
   * `[query, value, key?]` works too.
   */
  apply<T = SymbolicTensor>(
    query: SymbolicTensor | SymbolicTensor[],
    value?: SymbolicTensor | ProjectedAttentionCallOptions,
    key?: SymbolicTensor | ProjectedAttentionCallOptions,
    options?: ProjectedAttentionCallOptions,
  ): T;
  apply<T = Tensor>(
    query: Tensor | TensorLike | Tensor[],
    value?: Tensor | TensorLike | ProjectedAttentionCallOptions,
    key?: Tensor | TensorLike | ProjectedAttentionCallOptions,
    options?: ProjectedAttentionCallOptions,
  ): T;
  apply(query: unknown, value?: unknown, key?: unknown, options?: ProjectedAttentionCallOptions): LayerOutput | LayerOutput[] {
    const isTensor = (v: unknown) => v instanceof SymbolicTensor || v instanceof Tensor || Array.isArray(v) || ArrayBuffer.isView(v);
    let tensors: unknown[];
    let callOptions: ProjectedAttentionCallOptions;
    if (Array.isArray(query) && query.length > 0 && query.every((v) => v instanceof SymbolicTensor || v instanceof Tensor)) {
      tensors = query;
      callOptions = (value as ProjectedAttentionCallOptions) ?? {};
    } else {
      tensors = [query, ...[value, key].filter((v) => v !== undefined && isTensor(v))];
      callOptions = ([value, key, options].find((v) => v !== undefined && !isTensor(v)) as ProjectedAttentionCallOptions) ?? {};
    }
    if (tensors.length < 2 || tensors.length > 3) throw new ValueError(`Layer "${this.name}": ${this.constructor.name} takes a query, a value and optionally a key, got ${tensors.length} tensor(s)`);
    if (typeof callOptions !== 'object' || callOptions === null) throw new ValueError(`Layer "${this.name}": call options must be an object, got ${describeValue(callOptions)}`);
    checkOptionNames(`Layer "${this.name}" call`, callOptions, CALL_OPTIONS);
    const symbolicCall = tensors.some((v) => v instanceof SymbolicTensor);
    const unsaved = UNSAVED_CALL_OPTIONS.filter((k) => callOptions[k] !== undefined && callOptions[k] !== false);
    if (unsaved.length > 0 && symbolicCall) this.unsavedCallOptions.push(...unsaved);
    // Keras fills value_mask and key_mask from the tensors' own masks; a key not given is the
    // value, whose mask then counts once.
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
    const { attentionMask, useCausalMask, valueMask, keyMask, mask: queryMask } = options as ProjectedAttentionCallOptions;
    const project = (x: LayerInput, p: Projection) => {
      const y = ops.einsum('abc,cde->abde', x, p.kernel as never);
      return p.bias ? ops.add(y, p.bias) : y;
    };
    // Each key/value head serves consecutive query heads (Keras' ops.repeat on the heads axis).
    const repeats = this.queryHeadsPerKeyValueHead;
    const shareHeads = (t: LayerOutput) => (repeats === 1 ? t : ops.repeat(t, repeats, 2));
    // [batch, T|S, heads, size]
    const query = ops.mul(project(queryIn, this.query!), 1 / Math.sqrt(this.scoreDim));
    const key = shareHeads(project(keyIn, this.key!));
    const value = shareHeads(project(valueIn, this.value!));
    // [batch, heads, T, S]
    let scores: LayerOutput = ops.einsum('bquh,bkuh->buqk', query, key);
    const mask = this.allowedPairs(queryIn, valueIn, { queryMask, valueMask, keyMask, attentionMask }, useCausalMask === true);
    if (mask !== undefined) scores = ops.where(ops.expandDims(mask, 1), scores, MASKED_SCORE);
    const probabilities = ops.softmax(scores, -1);
    const dropped = this.dropout > 0 && probabilities instanceof SymbolicTensor ? ops.dropout(probabilities, this.dropout) : probabilities;
    // [batch, T, heads, size] -> [batch, T, output]
    const combined = ops.einsum('buqk,bkuh->bquh', dropped, value);
    let output: LayerOutput = ops.einsum('bquh,uhm->bqm', combined, this.attentionOutput!.kernel as never);
    if (this.attentionOutput!.bias) output = ops.add(output, this.attentionOutput!.bias);
    return this.returnScores ? [output, probabilities] : output;
  }

  /**
   * The [batch, T, S] mask of allowed (query, key) pairs, 1 or 0: the query's, value's and key's
   * Keras masks, the causal mask and the explicit mask, combined by logical and as Keras does;
   * undefined when there is none.
   */
  private allowedPairs(
    query: LayerInput,
    value: LayerInput,
    masks: { queryMask?: LayerInput; valueMask?: LayerInput; keyMask?: LayerInput; attentionMask?: LayerInput | TensorLike },
    causal: boolean,
  ): LayerOutput | undefined {
    const parts: LayerOutput[] = [];
    const allowed = (m: LayerInput | TensorLike) => ops.greater(m as LayerInput, 0.5);
    if (masks.queryMask !== undefined) parts.push(ops.expandDims(allowed(masks.queryMask), -1));
    if (masks.valueMask !== undefined) parts.push(ops.expandDims(allowed(masks.valueMask), -2));
    if (masks.keyMask !== undefined) parts.push(ops.expandDims(allowed(masks.keyMask), -2));
    if (causal) {
      const [t, s] = [query.shape[1], value.shape[1]];
      if (t === null || s === null) throw new ValueError(`Layer "${this.name}": useCausalMask needs the query's and value's sequence lengths to be known, got ${t} and ${s}`);
      // Lower triangular from the top-left corner (key j visible to query i when j <= i), as Keras'.
      const rows = Array.from({ length: t }, (_, i) => Array.from({ length: s }, (_, j) => (j <= i ? 1 : 0)));
      parts.push(ops.expandDims(ops.greater(rows, 0), 0));
    }
    if (masks.attentionMask !== undefined && masks.attentionMask !== null) parts.push(allowed(masks.attentionMask));
    if (parts.length === 0) return undefined;
    return parts.reduce((a, b) => ops.mul(a, b) as LayerOutput);
  }

  /** @internal Saving: Keras passes the query, value and key as separate arguments, not a list. */
  readonly kerasPositionalInputs = true;

  /** @internal Saving: the keyword arguments of the call that produced `output` (Keras' kwargs). */
  kerasCallKwargs(output: SymbolicTensor): Record<string, unknown> {
    return this.causalCalls.has(output) ? { use_causal_mask: true } : {};
  }

  /** The config both layers write: refuses a model whose calls' options it cannot record. */
  protected sharedConfig(): LayerConfig {
    // A model reloaded without the call's options would compute something else: refuse.
    if (this.unsavedCallOptions.length > 0) {
      throw new ValueError(
        `Layer "${this.name}": a ${this.constructor.name} called with ${[...new Set(this.unsavedCallOptions)].map((k) => `\`${k}\``).join(', ')} cannot be saved or cloned yet: kiln's model config does not record these call options, and the model would reload without them`,
      );
    }
    return {
      ...super.getConfig(),
      dropout: this.dropout,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      ...weightPenaltiesConfig(this.penalties),
    };
  }
}

/** A shape as Keras prints it, `[null, 4, 8]`. */
export function showShape(s: Shape): string {
  return `[${s.map((d) => d ?? 'null').join(', ')}]`;
}
