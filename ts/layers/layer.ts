// The base of every layer, built-in or custom: weights, build-on-first-call, and apply() that
// computes on concrete tensors or records graph nodes on symbolic ones.
import { type ConstraintIdentifier, get as getConstraint } from '../constraints/index.js';
import { KilnError, ShapeError, ValueError } from '../errors.js';
import { getInitializer, type InitializerIdentifier } from '../initializers.js';
import { get as getRegularizer, type RegularizerIdentifier, serialize as serializeRegularizer } from '../regularizers/index.js';
import type { Regularizer } from '../regularizers/regularizer.js';
import { type Shape, SymbolicTensor, withLayerContext } from '../symbolic.js';
import { Tensor, toTensor, type TensorLike } from '../tensor.js';
import { snakeCase, uniqueName } from '../utils/naming.js';
import { Variable } from '../variable.js';

/** Options every layer takes (Keras' base-layer keyword arguments). */
export interface LayerArgs {
  /** Unique name; default: the snake_case class name with a counter (`dense_1`). */
  name?: string;
  /** Shape of one sample, without the batch axis (declares the model's input). */
  inputShape?: number[];
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

const BASE_OPTIONS = ['name', 'inputShape', 'inputDim', 'batchSize', 'trainable', 'dtype', 'activityRegularizer'];

export type LayerInput = Tensor | SymbolicTensor;
export type LayerOutput = Tensor | SymbolicTensor;

/** Options of a layer call. */
export interface CallOptions {
  /** Training mode (Dropout drops only then); `fit` sets it. */
  training?: boolean;
}

export interface AddWeightOptions {
  shape: number[];
  /** Default 'glorot_uniform', as Keras. */
  initializer?: InitializerIdentifier;
  name?: string;
  trainable?: boolean;
  /** A penalty on the weight, added to the training loss. */
  regularizer?: RegularizerIdentifier | null;
  /** Applied to the weight after each optimizer step. */
  constraint?: ConstraintIdentifier | null;
}

export type LayerConfig = { name: string; trainable: boolean } & Record<string, unknown>;

export abstract class Layer {
  name: string;
  built = false;
  /** Declared input shape including the batch axis, from inputShape/inputDim. */
  batchInputShape?: Shape;
  private _trainable: boolean;
  private _weights: Variable[] = [];
  /** Input and output shapes of the latest symbolic call (for summaries). */
  lastInputShape?: Shape;
  lastOutputShape?: Shape;
  /** Keras' `activity_regularizer`. */
  activityRegularizer?: Regularizer;
  /** @internal The activity penalties recorded by symbolic calls, with the output each reads. */
  activityPenalties: { output: SymbolicTensor; penalty: SymbolicTensor }[] = [];

  /**
   * @param args the base options, plus the subclass's own.
   * @param ownOptions names of the subclass's own options, so unknown ones are refused.
   */
  constructor(args: LayerArgs = {}, ownOptions: string[] = []) {
    const known = new Set([...BASE_OPTIONS, ...ownOptions]);
    const unknown = Object.keys(args).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new ValueError(`Unrecognized keyword arguments passed to ${this.constructor.name}: ${unknown.map((k) => `'${k}'`).join(', ')}`);
    }
    if (args.dtype !== undefined && args.dtype !== 'float32') {
      throw new ValueError(`${this.constructor.name}: only dtype 'float32' is supported, got '${args.dtype}'`);
    }
    this.name = args.name ?? uniqueName(snakeCase(this.constructor.name));
    this._trainable = args.trainable ?? true;
    this.activityRegularizer = getRegularizer(args.activityRegularizer);
    if (args.inputShape !== undefined && args.inputDim !== undefined) {
      throw new ValueError(`Layer "${this.name}": give either inputShape or inputDim, not both`);
    }
    const sample = args.inputShape ?? (args.inputDim !== undefined ? [args.inputDim] : undefined);
    if (sample !== undefined) {
      if (!Array.isArray(sample) || sample.some((d) => !Number.isInteger(d) || d <= 0)) {
        throw new ValueError(`Layer "${this.name}": inputShape must be positive integers, got ${JSON.stringify(sample)}`);
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
      throw new ShapeError(`Input 0 of layer "${this.name}" is incompatible with the layer: expected ndim=${rank}, found ndim=${inputShape.length}. Full shape received: [${inputShape.map((d) => d ?? 'null').join(', ')}]`);
    }
  }

  /** The layer's computation (on a list for merging layers); concrete or symbolic alike. */
  abstract call(inputs: LayerInput | LayerInput[], options?: CallOptions): LayerOutput;

  /**
   * Calls the layer on one input or, for layers that merge several (Add, Concatenate, ...),
   * a list: builds it on first use, then computes (concrete tensors) or records (symbolic).
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[], options?: CallOptions): SymbolicTensor;
  apply(inputs: Tensor | TensorLike | Tensor[], options?: CallOptions): Tensor;
  apply(inputs: LayerInput | LayerInput[] | TensorLike, options: CallOptions = {}): LayerOutput {
    const toInput = (v: LayerInput | TensorLike) => (v instanceof SymbolicTensor ? v : toTensor(v as TensorLike, 'float32'));
    const isList = Array.isArray(inputs) && inputs.length > 0 && inputs.every((v) => v instanceof SymbolicTensor || v instanceof Tensor);
    const x: LayerInput | LayerInput[] = isList ? (inputs as LayerInput[]).map(toInput) : toInput(inputs as LayerInput | TensorLike);
    const list = Array.isArray(x) ? x : [x];
    const symbolic = list.some((v) => v instanceof SymbolicTensor);
    return withLayerContext(this.name, symbolic, () => {
      if (!this.built) {
        this.build(Array.isArray(x) ? x.map((v) => v.shape) : x.shape);
        this.built = true;
      }
      let output: unknown;
      try {
        output = this.call(x, options);
      } catch (error) {
        if (error instanceof KilnError) throw error;
        throw new ValueError(`Layer "${this.name}" (${this.constructor.name}) failed in call(): ${(error as Error)?.message ?? error}`);
      }
      if (!(output instanceof SymbolicTensor) && !(output instanceof Tensor)) {
        const got = output === null ? 'null' : typeof output === 'object' ? (output as object).constructor?.name ?? 'object' : typeof output;
        throw new ValueError(`Layer "${this.name}" (${this.constructor.name}): call() must return a tensor, got ${got}`);
      }
      if (output instanceof SymbolicTensor) {
        output.sourceLayer = this;
        if (!list.includes(output)) output.layerCall = { layer: this, inputs: list as SymbolicTensor[], listInput: Array.isArray(x), order: nextCallOrder++ };
        this.lastInputShape = list[0].shape;
        this.lastOutputShape = output.shape;
        if (this.activityRegularizer) this.recordActivityPenalty(output);
      }
      return output;
    });
  }

  private recordActivityPenalty(output: SymbolicTensor): void {
    const penalty = this.activityRegularizer!.call(output);
    if (!(penalty instanceof SymbolicTensor) || penalty.shape.length !== 0) {
      throw new ValueError(`Layer "${this.name}": activityRegularizer must return a scalar (a sum built with kiln.ops), got ${penalty instanceof SymbolicTensor ? `shape [${penalty.shape.join(', ')}]` : String(penalty)}`);
    }
    this.activityPenalties.push({ output, penalty });
  }

  /** Creates a weight owned by this layer. */
  addWeight(options: AddWeightOptions): Variable {
    const { shape, initializer = 'glorot_uniform', name = `variable_${this._weights.length}`, trainable = true } = options;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(`Layer "${this.name}": weight '${name}' needs a shape of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const v = new Variable(getInitializer(initializer)(shape), { name, path: `${this.name}/${name}`, trainable: trainable && this._trainable });
    v.regularizer = getRegularizer(options.regularizer);
    v.constraint = getConstraint(options.constraint);
    this._weights.push(v);
    return v;
  }

  get trainable(): boolean {
    return this._trainable;
  }

  /** Freezes or unfreezes every weight (takes effect at the next compile). */
  set trainable(value: boolean) {
    this._trainable = value;
    for (const w of this._weights) w.trainable = value;
  }

  get weights(): Variable[] {
    return [...this._weights];
  }

  get trainableWeights(): Variable[] {
    return this._trainable ? this._weights.filter((w) => w.trainable) : [];
  }

  get nonTrainableWeights(): Variable[] {
    return this._trainable ? this._weights.filter((w) => !w.trainable) : [...this._weights];
  }

  /** The current weight values, in creation order. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.read());
  }

  setWeights(values: TensorLike[]): void {
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw new ValueError(`Layer "${this.name}" expects ${weights.length} weights, but setWeights received ${values.length}`);
    }
    weights.forEach((w, i) => w.assign(values[i]));
  }

  countParams(): number {
    return this._weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  }

  getConfig(): LayerConfig {
    const config: LayerConfig = { name: this.name, trainable: this._trainable };
    if (this.batchInputShape) config.batchInputShape = this.batchInputShape;
    if (this.activityRegularizer) config.activityRegularizer = serializeRegularizer(this.activityRegularizer);
    return config;
  }
}
