// The base of every layer, built-in or custom: weights, build-on-first-call, and apply() that
// computes on concrete tensors or records graph nodes on symbolic ones.
import { type ConstraintIdentifier, get as getConstraint } from '../constraints/index.js';
import { KilnError, ShapeError, ValueError } from '../errors.js';
import { getInitializer, type InitializerIdentifier } from '../initializers.js';
import { get as getRegularizer, type RegularizerIdentifier, serialize as serializeRegularizer } from '../regularizers/index.js';
import type { Regularizer } from '../regularizers/regularizer.js';
import { record, symbolic as constantNode } from '../ops/recording.js';
import { leadingParameters } from '../saving/construct.js';
import { chargeWeight } from '../saving/load_budget.js';
import { insideCall, type Shape, SymbolicTensor, tracing, withLayerContext } from '../symbolic.js';
import { activeTape, noteTrainingMode, tapeLosses } from '../gradients/tape.js';
import { Tensor, toTensor, type TensorLike } from '../tensor.js';
import { snakeCase, uniqueName } from '../utils/naming.js';
import { checkOptionNames, describeValue, formatValue } from '../utils/options.js';
import { Variable } from '../variable.js';
import { getMask, setMask } from './mask.js';
import { type HeldLayer, heldLayers, trackInstancesOf } from './tracking.js';

/** Options every layer takes (Keras' base-layer keyword arguments). */
export interface LayerArgs {
  /** Unique name; default: the snake_case class name with a counter (`dense_1`). */
  name?: string;
  /** Shape of one sample, without the batch axis (declares the model's input); null marks a length that varies. */
  inputShape?: (number | null)[];
  /** Keras' `input_dim`: the same as `inputShape: [inputDim]`. */
  inputDim?: number;
  /** Fixed batch size for the declared input (default: any). */
  batchSize?: number;
  /** Whether the layer's weights are trained (default true). */
  trainable?: boolean;
  /** Only 'float32' is supported. */
  dtype?: 'float32';
  /** A penalty on the layer's output, added to the loss (divided by the batch size, as Keras 3). */
  activityRegularizer?: RegularizerIdentifier | null;
}

let nextCallOrder = 0;

/** A symbolic input as it is; a concrete one as a constant graph node. */
function asGraphInput(value: LayerInput): SymbolicTensor {
  return value instanceof SymbolicTensor ? value : constantNode(value);
}

export const BASE_OPTIONS = ['name', 'inputShape', 'inputDim', 'batchSize', 'trainable', 'dtype', 'activityRegularizer'];

/** What a layer's call takes: a concrete tensor (computed now) or a symbolic one (recorded). */
export type LayerInput = Tensor | SymbolicTensor;
/** What a layer's call returns: concrete for concrete inputs, symbolic for symbolic ones. */
export type LayerOutput = Tensor | SymbolicTensor;

/** Options of a layer call. */
export interface CallOptions {
  /** Training mode (Dropout drops only then); `fit` sets it. */
  training?: boolean;
  /** Keras' mask [batch, timesteps] (1 = present); default: the one the input carries. */
  mask?: LayerInput;
  /** Recurrent layers: the first states (h, and c for LSTM), e.g. another layer's returned states. */
  initialState?: LayerInput[];
}

/** One call of a layer on symbolic tensors (Keras' node), for summaries and model graphs. */
export interface LayerNode {
  /** The symbolic tensors the layer was called on. */
  inputs: SymbolicTensor[];
  /** The symbolic tensors that call returned. */
  outputs: SymbolicTensor[];
}

/** The options of `layer.addWeight()`. */
export interface AddWeightOptions {
  /** The weight's shape. */
  shape: number[];
  /** Default 'glorot_uniform', as Keras. */
  initializer?: InitializerIdentifier;
  /** Its name within the layer (default 'variable'). */
  name?: string;
  /** Whether the optimizer updates it (default true). */
  trainable?: boolean;
  /** A penalty on the weight, added to the training loss. */
  regularizer?: RegularizerIdentifier | null;
  /** Applied to the weight after each optimizer step. */
  constraint?: ConstraintIdentifier | null;
}

/** A layer's configuration as saved in model files (Keras' `get_config`): its constructor options. */
export type LayerConfig = { name: string; trainable: boolean } & Record<string, unknown>;

/**
 * Base of every layer, as Keras' `Layer`: a callable holding weights. A custom layer makes its
 * weights in `build(inputShape)` with `addWeight` and computes in `call(inputs, options)` with
 * kiln.ops, which work on concrete and symbolic tensors alike, so it trains like a built-in one.
 *
 * Every layer takes the base options `name`, `inputShape` (or `inputDim`), `batchSize`,
 * `trainable`, `dtype` (only 'float32') and `activityRegularizer`; unknown options are refused.
 * @example
 * ```ts
 * class Scale extends kiln.layers.Layer {
 *   scale!: kiln.Variable;
 *   build(inputShape: kiln.Shape) {
 *     this.scale = this.addWeight({ shape: [inputShape.at(-1) as number], initializer: 'ones', name: 'scale' });
 *   }
 *   call(x: kiln.layers.LayerInput) {
 *     return kiln.ops.mul(x, this.scale);
 *   }
 * }
 * const outputs = new Scale().apply(kiln.Input({ shape: [8] }));
 * ```
 */
export abstract class Layer {
  /** The layer's name (given, or unique from the class name in snake case: 'dense', 'dense_1', ...). */
  name: string;
  /** Whether its weights exist (`build` has run). */
  built = false;
  /** Declared input shape including the batch axis, from inputShape/inputDim. */
  batchInputShape?: Shape;
  private _trainable: boolean;
  private _weights: Variable[] = [];
  /** Input and output shapes of the latest symbolic call (for summaries). */
  lastInputShape?: Shape;
  /** The output shape of the latest symbolic call (for summaries). */
  lastOutputShape?: Shape;
  /** Every output shape of the latest symbolic call, for layers that return several. */
  lastOutputShapes?: Shape[];
  /** @internal The layer's symbolic calls, in order. */
  inboundNodes: LayerNode[] = [];
  /** Whether the layer passes its input's mask on (Keras' `supports_masking`). */
  supportsMasking = false;
  /** Keras' `activity_regularizer`. */
  activityRegularizer?: Regularizer;
  /** @internal The activity penalties recorded by symbolic calls, with the output each reads. */
  activityPenalties: { output: SymbolicTensor; penalty: SymbolicTensor }[] = [];
  /** @internal Losses added by addLoss in symbolic calls, with the output of the call that added each. */
  addedLosses: { output?: SymbolicTensor; loss: SymbolicTensor }[] = [];

  /**
   * @param args the base options, plus the subclass's own.
   * @param ownOptions names of the subclass's own options, so unknown ones are refused.
   */
  constructor(args: LayerArgs = {}, ownOptions: string[] = []) {
    // A layer whose class takes one options object, called from JavaScript with a second
    // argument, gets it here in place of the subclass' list of option names.
    if (!Array.isArray(ownOptions) || ownOptions.some((o) => typeof o !== 'string'))
      throw new ValueError(`${new.target.name}: unexpected argument ${describeValue(ownOptions)}; give options as one object, e.g. new ${new.target.name}({ name: 'x' })`);
    // The main arguments (`units`, ...) are valid names too, in the options form.
    checkOptionNames(new.target.name, args, [...leadingParameters(new.target), ...BASE_OPTIONS, ...ownOptions]);
    args ??= {};
    if (args.dtype !== undefined && args.dtype !== 'float32') {
      throw new ValueError(`${this.constructor.name}: only dtype 'float32' is supported, got ${describeValue(args.dtype)}`);
    }
    if (args.name !== undefined && args.name !== null && typeof args.name !== 'string') throw new ValueError(`${new.target.name}: \`name\` must be a string, got ${describeValue(args.name)}`);
    this.name = args.name ?? uniqueName(snakeCase(this.constructor.name));
    this._trainable = args.trainable ?? true;
    // As Keras' build wrapper: a layer built by calling build() itself is built, so its first
    // call does not build it again (a second set of weights, the ones set by setWeights unused).
    const build = this.build;
    this.build = (inputShape: Shape | Shape[]) => {
      build.call(this, inputShape);
      this.built = true;
    };
    this.activityRegularizer = getRegularizer(args.activityRegularizer);
    if (args.inputShape !== undefined && args.inputDim !== undefined) {
      throw new ValueError(`Layer "${this.name}": give either inputShape or inputDim, not both`);
    }
    const sample = args.inputShape ?? (args.inputDim !== undefined ? [args.inputDim] : undefined);
    if (sample !== undefined) {
      if (!Array.isArray(sample) || sample.some((d) => d !== null && (!Number.isInteger(d) || d <= 0))) {
        throw new ValueError(`Layer "${this.name}": inputShape must be positive integers or null (a length that varies), got ${formatValue(sample)}`);
      }
      this.batchInputShape = [args.batchSize ?? null, ...sample];
    }
  }

  /** Creates the weights once the input shape (a list for merging layers) is known. */
  build(inputShape: Shape | Shape[]): void {
    void inputShape;
  }

  /**
   * Refuses an input whose rank is not `rank` or whose last axis (the features or channels)
   * is unknown, in Keras' words.
   */
  protected requireRank(inputShape: Shape, rank: number): void {
    if (inputShape.length !== rank || inputShape[inputShape.length - 1] === null) {
      throw new ShapeError(
        `Input 0 of layer "${this.name}" is incompatible with the layer: expected ndim=${rank}, found ndim=${inputShape.length}. Full shape received: [${inputShape.map((d) => d ?? 'null').join(', ')}]`,
      );
    }
  }

  /** The layer's computation (on a list for merging layers); concrete or symbolic alike. */
  abstract call(inputs: LayerInput | LayerInput[], options?: CallOptions): LayerOutput | LayerOutput[];

  /** The mask of the output given the input's: passed on when the layer supports masking. */
  computeMask(inputs: LayerInput | LayerInput[], mask?: LayerInput): LayerInput | undefined {
    void inputs;
    return this.supportsMasking ? mask : undefined;
  }

  /** Whether call() returns a list of tensors (recurrent layers with returnState). */
  protected returnsList(): boolean {
    return false;
  }

  /** Layers and models held in this layer's properties (Keras tracks them): their weights are its own too. */
  protected get sublayers(): HeldLayer[] {
    return heldLayers(this);
  }

  /**
   * Calls the layer on one input or, for layers that merge several (Add, Concatenate, ...),
   * a list: builds it on first use, then computes (concrete tensors) or records (symbolic).
   */
  apply<T = SymbolicTensor>(inputs: SymbolicTensor | SymbolicTensor[], options?: CallOptions): T;
  apply<T = Tensor>(inputs: Tensor | TensorLike | Tensor[], options?: CallOptions): T;
  apply(inputs: LayerInput | LayerInput[] | TensorLike, options: CallOptions = {}): LayerOutput | LayerOutput[] {
    const toInput = (v: LayerInput | TensorLike) => (v instanceof SymbolicTensor ? v : toTensor(v as TensorLike, 'float32'));
    const isList = Array.isArray(inputs) && inputs.length > 0 && inputs.every((v) => v instanceof SymbolicTensor || v instanceof Tensor);
    let x: LayerInput | LayerInput[] = isList ? (inputs as LayerInput[]).map(toInput) : toInput(inputs as LayerInput | TensorLike);
    const mask = options.mask ?? getMask(Array.isArray(x) ? x[0] : x);
    // A layer called inside another's call() belongs to that layer, not to the model.
    const nested = insideCall();
    noteTrainingMode(options.training, this.name);
    if (nested && tracing()) {
      // Inside a call being recorded, a concrete input (keras.io's position embedding of
      // `ops.arange(maxlen)`) is recorded as a constant: computing the layer now would freeze
      // its weights into the graph, and they would never train.
      x = Array.isArray(x) ? x.map(asGraphInput) : asGraphInput(x);
      if (options.initialState) options = { ...options, initialState: options.initialState.map(asGraphInput) };
    }
    const list = Array.isArray(x) ? x : [x];
    const text = list.find((v) => v instanceof SymbolicTensor && v.dtype === 'string');
    if (text) {
      throw new ValueError(
        `Layer "${this.name}" (${this.constructor.name}) cannot take the string tensor ${text.toString()}: strings stay in JavaScript, where only a TextVectorization, StringLookup or Hashing layer reads them; apply one of those to the string Input first and give this layer its output`,
      );
    }
    const symbolic = [...list, ...(options.initialState ?? [])].some((v) => v instanceof SymbolicTensor);
    return withLayerContext(this.name, symbolic, () => {
      if (!this.built) {
        // build makes concrete weights: random draws and ops in it run eagerly, as in Keras.
        try {
          withLayerContext(this.name, false, () => this.build(Array.isArray(x) ? x.map((v) => v.shape) : x.shape));
        } catch (error) {
          if (error instanceof KilnError) throw error;
          throw new ValueError(`Layer "${this.name}" (${this.constructor.name}) failed in build(): ${(error as Error)?.message ?? error}`);
        }
        this.built = true;
      }
      let output: unknown;
      try {
        output = this.call(x as LayerInput | LayerInput[], mask === undefined ? options : { ...options, mask });
      } catch (error) {
        if (error instanceof KilnError) throw error;
        throw new ValueError(`Layer "${this.name}" (${this.constructor.name}) failed in call(): ${(error as Error)?.message ?? error}`);
      }
      const isTensor = (v: unknown) => v instanceof SymbolicTensor || v instanceof Tensor;
      // A symbolic output that is one of the inputs (an identity: Activation('linear'), Dropout(0))
      // gets its own tensor, so the layer that made the input stays its producer in the model.
      const own = (v: unknown) => (v instanceof SymbolicTensor && list.includes(v) ? record({ op: 'unary', function: 'linear' }, [v], v.shape) : v);
      output = this.returnsList() && Array.isArray(output) ? (output as unknown[]).map(own) : own(output);
      const outputs = this.returnsList() && Array.isArray(output) ? (output as unknown[]) : [output];
      const bad = outputs.find((v) => !isTensor(v));
      if (outputs.length === 0 || bad !== undefined || (outputs.length === 1 && !isTensor(output))) {
        const got = (v: unknown) => (v === null ? 'null' : typeof v === 'object' ? ((v as object).constructor?.name ?? 'object') : typeof v);
        throw new ValueError(
          `Layer "${this.name}" (${this.constructor.name}): call() must return a tensor${this.returnsList() ? ' or a list of tensors' : ''}, got ${got(outputs.length === 1 ? output : bad)}`,
        );
      }
      const outputMask = this.computeMask(x, mask);
      setMask(outputs[0] as LayerOutput, outputMask);
      const symbolicOutputs = outputs.filter((v): v is SymbolicTensor => v instanceof SymbolicTensor);
      if (symbolicOutputs.length > 0) {
        if (!nested) {
          // Initial states feed the call too (Keras lists them in "Connected to").
          const fed = [...list, ...(options.initialState ?? [])].filter((v): v is SymbolicTensor => v instanceof SymbolicTensor);
          const nodeIndex = this.inboundNodes.push({ inputs: fed, outputs: symbolicOutputs }) - 1;
          symbolicOutputs.forEach((t, tensorIndex) => Object.assign(t, { sourceLayer: this, nodeIndex, tensorIndex }));
          // Saving rebuilds the model from each output's call (its inputs, whether a list).
          const call = { layer: this, inputs: list as SymbolicTensor[], listInput: Array.isArray(x), order: nextCallOrder++ };
          for (const t of symbolicOutputs) if (!list.includes(t)) t.layerCall = call;
        }
        // A call traced for gradients has its batch's shapes: summaries keep the model's.
        if (!activeTape()) {
          this.lastInputShape = list[0].shape;
          this.lastOutputShape = symbolicOutputs[0].shape;
          this.lastOutputShapes = symbolicOutputs.map((t) => t.shape);
        }
        if (this.activityRegularizer && !activeTape()) this.recordActivityPenalty(symbolicOutputs[0]);
        for (const added of this.addedLosses) added.output ??= symbolicOutputs[0];
      }
      return output as LayerOutput | LayerOutput[];
    });
  }

  /** @internal apply() on either kind of tensor, for wrappers that call another layer. */
  applyAny(inputs: LayerInput | LayerInput[], options?: CallOptions): LayerOutput | LayerOutput[] {
    return this.apply(inputs as Tensor, options) as LayerOutput | LayerOutput[];
  }

  /**
   * Keras' `add_loss`, from inside `call`: a tensor computed with kiln.ops (summed to one
   * number) that is added to the loss of every model this call is part of, in training and in
   * the reported loss (a VAE's KL term, an activity penalty). Only calls recorded into a
   * model's graph add it; an eager call computes nothing to train.
   */
  addLoss(loss: LayerOutput): void {
    if (!(loss instanceof SymbolicTensor || loss instanceof Tensor))
      throw new ValueError(`Layer "${this.name}": addLoss() takes a tensor computed in call() with kiln.ops, got ${describeValue(loss)}`);
    if (!(loss instanceof SymbolicTensor)) return;
    const tape = activeTape();
    // Inside valueAndGrad the loss belongs to this trace only (read it with `layer.losses`).
    if (tape) tape.addedLosses.push({ owner: this, loss });
    else this.addedLosses.push({ loss });
  }

  /** Keras' `layer.losses` inside kiln.valueAndGrad: the losses this layer's calls added in the traced function so far. */
  get losses(): SymbolicTensor[] {
    return tapeLosses(this);
  }

  private recordActivityPenalty(output: SymbolicTensor): void {
    const penalty = this.activityRegularizer!.call(output);
    if (!(penalty instanceof SymbolicTensor) || penalty.shape.length !== 0) {
      throw new ValueError(
        `Layer "${this.name}": activityRegularizer must return a scalar (a sum built with kiln.ops), got ${penalty instanceof SymbolicTensor ? `shape [${penalty.shape.join(', ')}]` : describeValue(penalty)}`,
      );
    }
    this.activityPenalties.push({ output, penalty });
  }

  /** Creates a weight owned by this layer. */
  addWeight(options: AddWeightOptions): Variable {
    const { shape, initializer = 'glorot_uniform', name = `variable_${this._weights.length}`, trainable = true } = options;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(`Layer "${this.name}": weight '${name}' needs a shape of non-negative integers, got ${formatValue(shape)}`);
    }
    chargeWeight(shape, `${this.name}/${name}`);
    // The weight's own flag (false for statistics such as a moving mean); the layer's `trainable` gates it.
    const v = new Variable(getInitializer(initializer)(shape), { name, path: `${this.name}/${name}`, trainable });
    v.regularizer = getRegularizer(options.regularizer);
    v.constraint = getConstraint(options.constraint);
    this._weights.push(v);
    return v;
  }

  get trainable(): boolean {
    return this._trainable;
  }

  /**
   * Freezes or unfreezes the layer and the layers it holds, as Keras' setter does (takes effect
   * at the next compile). Each weight keeps its own flag: a moving mean stays non-trainable.
   */
  set trainable(value: boolean) {
    this._trainable = value;
    for (const held of this.sublayers) held.trainable = value;
  }

  /** @internal The weights it made itself, without its sublayers' (saving keeps them apart, as Keras). */
  get ownWeights(): Variable[] {
    return [...this._weights];
  }

  /** Its own weights, then its sublayers', each once (a layer may be held twice). */
  get weights(): Variable[] {
    return [...new Set([...this._weights, ...this.sublayers.flatMap((l) => l.weights)])];
  }

  /** The weights fit trains: none while the layer is frozen, else its own trainable ones and its sublayers'. */
  get trainableWeights(): Variable[] {
    if (!this._trainable) return [];
    return [...new Set([...this._weights.filter((w) => w.trainable), ...this.sublayers.flatMap((l) => l.trainableWeights)])];
  }

  /** The weights the optimizer leaves alone (all of them when the layer is frozen). */
  get nonTrainableWeights(): Variable[] {
    if (!this._trainable) return this.weights;
    return [...new Set([...this._weights.filter((w) => !w.trainable), ...this.sublayers.flatMap((l) => l.nonTrainableWeights)])];
  }

  /** The current weight values, in creation order. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.read());
  }

  /**
   * Sets the weights from values in the order of `getWeights()`; a list of another length is
   * refused with a ValueError, and each value must have its weight's shape.
   */
  setWeights(values: TensorLike[]): void {
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw new ValueError(`Layer "${this.name}" expects ${weights.length} weights, but setWeights received ${values.length}`);
    }
    weights.forEach((w, i) => w.assign(values[i]));
  }

  /** The number of scalars in its weights. */
  countParams(): number {
    return this.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  }

  /**
   * Its configuration (Keras' `get_config`): the name, trainable, the declared input shape and the
   * activity regularizer; subclasses add their own options. A custom layer overrides it to be saved
   * with its options.
   */
  getConfig(): LayerConfig {
    const config: LayerConfig = { name: this.name, trainable: this._trainable };
    if (this.batchInputShape) config.batchInputShape = this.batchInputShape;
    if (this.activityRegularizer) config.activityRegularizer = serializeRegularizer(this.activityRegularizer);
    return config;
  }
}

trackInstancesOf(Layer);
