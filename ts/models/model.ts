// Functional models: a graph from inputs to outputs and its weights. Compiling, training,
// evaluating and predicting come from the Trainer it extends (ts/trainers/).
import { ShapeError, ValueError } from '../errors.js';
import type { Layer, LayerNode } from '../layers/layer.js';
import { trackInstancesOf } from '../layers/tracking.js';
import { symbolic as constantNode } from '../ops/recording.js';
import { insideCall, outsideCalls, type Shape, SymbolicTensor, tracing, withLayerContext } from '../symbolic.js';
import { activeTape, noteTrainingMode, tapeLosses, withoutTape } from '../gradients/tape.js';
import { Input } from '../layers/core/input_layer.js';
import type { CallOptions } from '../layers/layer.js';
import { heldLayers } from '../layers/tracking.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { snakeCase, uniqueName } from '../utils/naming.js';
import { checkOptionNames, describeValue } from '../utils/options.js';
import { modelConfig } from '../saving/model_config.js';
import { Trainer } from '../trainers/trainer.js';
import { type DataLike, sampleCount, toTensorList } from './data_adapter.js';
import { DataStage, isDataStepOutput, isText } from './data_stage.js';
import { callModel } from './functional_call.js';
import { evaluateGraph } from './graph_eval.js';
import { buildGraphSpec, layersOf } from './graph_spec.js';
import { connectedTo } from './layer_graph.js';
import { summaryTable } from './summary.js';
import { exportModel, type ExportArgs } from '../export/export_model.js';
import { exportOnnx } from '../export/onnx/export_onnx.js';
import { isChief } from '../distribution/distribution.js';

export type { CompileArgs, EvaluateArgs, FitArgs, PredictArgs, TestOnBatchArgs, TrainOnBatchArgs } from '../trainers/trainer_args.js';
export type { StepData } from '../trainers/step_data.js';

/** The options of `new Model({ inputs, outputs, name })`; unknown keys are refused. */
export interface ModelArgs {
  /** The model's inputs: tensors made by `kiln.Input()`, one or a list. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /**
   * The model's outputs: symbolic tensors computed from `inputs` by layers, one or a list. A graph
   * that does not connect them to the inputs is refused.
   */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** The model's name. Default: a unique 'functional' name ('functional', 'functional_1', ...). */
  name?: string;
}

/** The two constructor forms of a functional model, as one options object (unknown keys refused). */
function modelArguments(
  first: ModelArgs | SymbolicTensor | SymbolicTensor[] | undefined,
  outputs: SymbolicTensor | SymbolicTensor[] | undefined,
  options: { name?: string } | undefined,
): ModelArgs | undefined {
  if (first === undefined) return undefined;
  if (first instanceof SymbolicTensor || Array.isArray(first)) {
    checkOptionNames('Model', options, ['name']);
    if (outputs === undefined) throw new ValueError('Model: `outputs` is required with `inputs`: new kiln.Model(inputs, outputs)');
    return { inputs: first, outputs, name: options?.name };
  }
  checkOptionNames('Model', first, ['inputs', 'outputs', 'name']);
  if (outputs !== undefined) throw new ValueError(`Model: with an options object, give \`outputs\` inside it; got a second argument ${describeValue(outputs)}`);
  return first;
}

/** Numbers a model's calls as a layer in order (compared only among one model's calls). */
let nextModelCallOrder = 0;

/**
 * A model grouping layers into an object with training (`compile`, `fit`), evaluation (`evaluate`)
 * and inference (`predict`) features, as Keras' `Model`.
 *
 * Two ways to make one: the functional API, from `kiln.Input()` to outputs through layers; or by
 * subclassing `Model`, with the layers in properties and a `call(inputs, { training })` method that
 * is traced into the graph on first use.
 *
 * @example
 * ```ts
 * const inputs = kiln.Input({ shape: [37] });
 * const hidden = new kiln.layers.Dense(32, { activation: 'relu' }).apply(inputs);
 * const outputs = new kiln.layers.Dense(5, { activation: 'softmax' }).apply(hidden);
 * const model = new kiln.Model({ inputs, outputs });
 * model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
 * ```
 */
export class Model extends Trainer {
  /** The model's name (given, or unique from the class: 'functional', 'sequential', or a subclass's name in snake case). */
  name: string;
  /** The graph's input tensors (empty until a Sequential or subclassed model is built). */
  inputs: SymbolicTensor[] = [];
  /** The graph's output tensors (empty until a Sequential or subclassed model is built). */
  outputs: SymbolicTensor[] = [];
  /** @internal Its calls as a layer of other models. */
  inboundNodes: LayerNode[] = [];
  /** Output shapes of its latest call as a layer (for summaries). */
  lastOutputShape?: Shape;
  /** Output shapes of its latest call as a layer, one per output (for summaries). */
  lastOutputShapes?: Shape[];
  private _trainable = true;

  /** `new Model({ inputs, outputs, name })`, or Keras' positional `new Model(inputs, outputs, { name })`. */
  constructor(args?: ModelArgs);
  constructor(inputs: SymbolicTensor | SymbolicTensor[], outputs: SymbolicTensor | SymbolicTensor[], options?: { name?: string });
  constructor(argsOrInputs?: ModelArgs | SymbolicTensor | SymbolicTensor[], outputs?: SymbolicTensor | SymbolicTensor[], options?: { name?: string }) {
    super();
    const args = modelArguments(argsOrInputs, outputs, options);
    // A subclass with its own call() is named after its class, as Keras names it.
    const subclassed = typeof (new.target.prototype as Model).call === 'function';
    this.name = args?.name ?? uniqueName(new.target === Model ? 'functional' : subclassed ? snakeCase(new.target.name) : 'sequential');
    if (args) this.setGraph(args.inputs, args.outputs);
  }

  /**
   * @internal `connected`: the caller knows the outputs are computed from the inputs (a
   * Sequential add extending a checked graph by one layer), so the whole-graph walk that
   * refuses disconnected graphs is skipped: done on every add, it made building n layers cost n^2.
   */
  protected setGraph(inputs: SymbolicTensor | SymbolicTensor[], outputs: SymbolicTensor | SymbolicTensor[], connected = false): void {
    const ins = Array.isArray(inputs) ? inputs : [inputs];
    const outs = Array.isArray(outputs) ? outputs : [outputs];
    for (const t of [...ins, ...outs]) {
      if (!(t instanceof SymbolicTensor)) throw new ValueError(`Model inputs and outputs must be symbolic tensors (from kiln.Input and layer.apply), got ${String(t)}`);
    }
    if (ins.some((t) => t.spec.op !== 'input' || isDataStepOutput(t))) throw new ValueError('Model inputs must come from kiln.Input()');
    // A Sequential add keeps the stage its first layers made, unless the added layer is a step.
    const stage = connected && !outs.some(isDataStepOutput) && !ins.some((t) => t.dtype === 'string') ? this.dataStage : DataStage.of(this.name, ins, outs);
    if (!connected) buildGraphSpec(stage?.engineInputs ?? ins, outs); // refuses disconnected graphs now
    this.inputs = ins;
    this.outputs = outs;
    this.dataStage = stage;
    this.resetEngines();
  }

  /** @internal The preprocessing its layers run in JavaScript before the engine (string Inputs), if any. */
  dataStage?: DataStage;

  /** @internal What the engine is fed: the inputs, or with a data stage its numeric inputs and the stage's outputs. */
  get engineInputs(): SymbolicTensor[] {
    return this.dataStage?.engineInputs ?? this.inputs;
  }

  /** Whether the graph exists (Sequential models build on first data). */
  get built(): boolean {
    return this.outputs.length > 0;
  }

  /**
   * Keras' subclassing API: a subclass defines `call(inputs, { training })` with the layers it
   * holds in its properties; the call is traced into the model's graph on first use (fit,
   * evaluate, predict, apply), from the first data's sample shape.
   */
  call?(inputs: SymbolicTensor | SymbolicTensor[], options?: CallOptions): SymbolicTensor | SymbolicTensor[];

  /** @internal Losses added by addLoss while call() was traced, with the output they go with. */
  addedLosses: { output?: SymbolicTensor; loss: SymbolicTensor }[] = [];

  /**
   * Keras' `add_loss` from inside a subclassed model's `call`: a scalar (summed if not) added
   * to the training loss of the model.
   */
  addLoss(loss: SymbolicTensor): void {
    if (!(loss instanceof SymbolicTensor)) throw new ValueError(`Model "${this.name}": addLoss() takes a tensor computed in call() with kiln.ops, got ${describeValue(loss)}`);
    this.addedLosses.push({ loss });
  }

  /** The addLoss terms of this model's graph: its layers' (recorded with its outputs) and its own. */
  private graphAddedLosses(): SymbolicTensor[] {
    const inGraph = new Set<SymbolicTensor>();
    const stack = [...this.outputs];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (!inGraph.has(t)) {
        inGraph.add(t);
        stack.push(...t.inputs);
      }
    }
    const owners: { addedLosses?: { output?: SymbolicTensor; loss: SymbolicTensor }[] }[] = [...this.layers, this];
    return owners.flatMap((o) => (o.addedLosses ?? []).filter((l) => l.output && inGraph.has(l.output)).map((l) => l.loss));
  }

  /**
   * Keras' `model.losses`, inside kiln.valueAndGrad: the addLoss terms (a VAE's KL term) of
   * this model's calls in the traced function so far, to add to the value. Outside a traced
   * function it is empty: fit adds them itself.
   */
  get losses(): SymbolicTensor[] {
    return tapeLosses(this);
  }

  /** @internal Builds from the data's sample shapes when needed (Sequential overrides). */
  protected ensureBuilt(sampleShape?: number[], sampleShapes?: number[][]): void {
    if (!this.built && this.call && sampleShape) outsideTrace(() => this.buildFromCall(sampleShapes ?? [sampleShape]));
    if (!this.built) throw new ValueError('This model has no inputs or outputs');
  }

  /** Traces a subclass's call() on one Input per sample shape: the graph fit, predict and save use. */
  private buildFromCall(sampleShapes: number[][]): void {
    const inputs = sampleShapes.map((shape) => Input({ shape }));
    const outputs = withLayerContext(this.name, true, () => this.call!(inputs.length === 1 ? inputs[0] : inputs, {}));
    const list = Array.isArray(outputs) ? outputs : [outputs];
    const bad = list.findIndex((t) => !(t instanceof SymbolicTensor));
    if (list.length === 0 || bad >= 0) {
      throw new ValueError(
        `Model "${this.name}" (${this.constructor.name}): call() must return a tensor or a list of tensors computed from its inputs, got ${describeValue(list.length === 0 || !Array.isArray(outputs) ? outputs : list[bad])}`,
      );
    }
    for (const added of this.addedLosses) added.output ??= list[0];
    this.setGraph(inputs, list);
  }

  /** The model's layers, in graph order (a subclassed model's: the layers it holds, in assignment order). */
  get layers(): Layer[] {
    // A subclassed model's layers (or a graph-less model's, with its own trainStep) are those
    // it holds, in assignment order (Keras' tracking).
    if (this.call || this.outputs.length === 0) return heldLayers(this) as Layer[];
    return layersOf(this.inputs, this.outputs) as Layer[];
  }

  /** Returns the layer named `name`; throws a ValueError listing the existing names if there is none. */
  getLayer(name: string): Layer {
    const layer = this.layers.find((l) => l.name === name);
    if (!layer) throw new ValueError(`No such layer: ${name}. Existing layers are: ${this.layers.map((l) => l.name).join(', ')}`);
    return layer;
  }

  /** Every weight of its layers, each once (a shared layer's weights counted once), trainable or not. */
  get weights() {
    return [...new Set(this.layers.flatMap((l) => l.weights))];
  }

  /** The weights the optimizer updates: its layers' trainable weights, each once. */
  get trainableWeights() {
    return this._trainable ? [...new Set(this.layers.flatMap((l) => l.trainableWeights))] : [];
  }

  /** Its layers' non-trainable weights (BatchNormalization's moving statistics, frozen layers), each once. */
  get nonTrainableWeights() {
    return this._trainable ? [...new Set(this.layers.flatMap((l) => l.nonTrainableWeights))] : this.weights;
  }

  /** Whether a layer of the model (nested models' included) carries its states between batches (tf.keras' `model.stateful`). */
  get stateful(): boolean {
    return this.layers.some((l) => (l as { stateful?: unknown }).stateful === true);
  }

  /**
   * Zeroes the states of every stateful layer in the model, nested models' included (tf.keras'
   * `model.reset_states()`; Keras 3 documents it on the model too but has it only on the layers).
   */
  resetStates(): void {
    for (const layer of this.layers) {
      const resettable = layer as { stateful?: unknown; resetStates?: () => void };
      if (resettable.stateful === true && typeof resettable.resetStates === 'function') resettable.resetStates();
    }
  }

  /** Alias of `resetStates()`, Keras 3's name on the layers. */
  resetState(): void {
    this.resetStates();
  }

  /** Whether fit trains this model's weights (Keras' `trainable`). */
  get trainable(): boolean {
    return this._trainable;
  }

  /**
   * Freezes (false) or unfreezes (true) every layer of the model, nested models' included, as
   * Keras' setter does: frozen weights stop training and a frozen BatchNormalization runs in
   * inference mode. Takes effect at the next `compile`, as in Keras.
   */
  set trainable(value: boolean) {
    this._trainable = value;
    for (const layer of this.layers) layer.trainable = value;
  }

  /** Keras' `output_names`: the layers that make the outputs (keys of name-keyed targets, losses and metrics). */
  get outputNames(): string[] {
    return this.outputs.map((t) => t.sourceLayer?.name ?? t.name);
  }

  /** Keras' `input_names`: the Input names (keys of name-keyed input data). */
  get inputNames(): string[] {
    return this.inputs.map((t) => t.name);
  }

  /**
   * Calls the model as a layer. On symbolic tensors (one per input) its graph is recorded again
   * on them, sharing its weights, and it appears as one layer in the new model; on concrete
   * tensors it computes its outputs now (inference mode), as Keras' `model(x)`.
   */
  apply<T = SymbolicTensor>(inputs: SymbolicTensor | SymbolicTensor[], options?: CallOptions): T;
  apply<T = Tensor>(inputs: DataLike, options?: CallOptions): T;
  apply<T>(inputs: SymbolicTensor | SymbolicTensor[] | DataLike, options?: CallOptions): T {
    checkOptionNames(`Model "${this.name}".apply`, options, ['training']);
    noteTrainingMode(options?.training, this.name);
    let given = Array.isArray(inputs) ? inputs : [inputs];
    // Inside a layer's call being recorded, concrete inputs become constants of the graph, so the
    // model's weights train (see Layer.apply).
    if (tracing() && !given.some((t) => t instanceof SymbolicTensor)) given = toTensorList(inputs as DataLike, 'inputs').map((t) => constantNode(t));
    if (!given.some((t) => t instanceof SymbolicTensor)) {
      const [xs] = this.prepare(inputs as DataLike, undefined, 'apply');
      const results = evaluateGraph(this.engineInputs, this.outputs, xs);
      return (results.length === 1 ? results[0] : results) as T;
    }
    const list = given as SymbolicTensor[];
    if (this.dataStage) {
      throw new ValueError(
        `Model "${this.name}" reads its inputs with preprocessing layers that run in JavaScript (${this.dataStage.engineInputs
          .filter(isDataStepOutput)
          .map((t) => t.name)
          .join(', ')}), so it cannot be called on symbolic tensors inside another model; apply those layers to the outer model's Input and call a model of the rest`,
      );
    }
    // A Sequential without an input shape builds from the tensor it is called on, as Keras.
    outsideTrace(() =>
      this.ensureBuilt(
        list[0]?.shape.slice(1) as number[],
        list.map((t) => t.shape.slice(1) as number[]),
      ),
    );
    // Inside valueAndGrad, the losses its layers added (addLoss) are computed for this call too: `model.losses`.
    const tape = activeTape();
    const added = tape ? this.graphAddedLosses() : [];
    const computed = callModel(this.name, this.inputs, this.outputs, list, added);
    const outputs = computed.slice(0, this.outputs.length);
    for (const loss of computed.slice(this.outputs.length)) tape!.addedLosses.push({ owner: this, loss });
    // Called inside a layer's call(), it belongs to that layer, not to the model being built.
    if (!insideCall()) {
      const nodeIndex = this.inboundNodes.push({ inputs: list, outputs }) - 1;
      outputs.forEach((t, tensorIndex) => Object.assign(t, { sourceLayer: this, nodeIndex, tensorIndex }));
      // Saving rebuilds the outer model from this call, as from a layer's.
      const call = { layer: this, inputs: list, listInput: Array.isArray(inputs), order: nextModelCallOrder++ };
      for (const t of outputs) if (!list.includes(t)) t.layerCall = call;
    }
    this.lastOutputShape = outputs[0].shape;
    this.lastOutputShapes = outputs.map((t) => t.shape);
    return (outputs.length === 1 ? outputs[0] : outputs) as T;
  }

  /** Every weight's current value, in Keras' order (layer by layer). */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.read());
  }

  /**
   * Sets every weight from a list of values in the order of `getWeights()`. A list of another
   * length is refused with a ValueError; each value must have its weight's shape.
   */
  setWeights(values: TensorLike[]): void {
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw new ValueError(`You called setWeights(weights) on model "${this.name}" with a weight list of length ${values.length}, but the model expects ${weights.length} weights`);
    }
    weights.forEach((w, i) => w.assign(values[i]));
  }

  /** The number of scalars in all its weights (trainable and not), as Keras' `count_params`. */
  countParams(): number {
    return this.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Prints Keras' summary table and returns it. */
  summary(printFn: (line: string) => void = console.log): string {
    if (!this.built) {
      throw new ValueError(
        'This model has not yet been built. Build the model first by calling `build()` or by calling the model on a batch of data (fit, predict), or give the first layer an `inputShape`.',
      );
    }
    // Sequential models and chains print no "Connected to" column.
    const connections = this.constructor === Model ? connectedTo(this.inputs, this.outputs) : undefined;
    const text = summaryTable(this.name, this.layers, connections as Map<Layer, string> | undefined);
    printFn(text);
    return text;
  }

  /** Writes the model for inference as an ONNX file (opset 17; any batch size). */
  async exportOnnx(path: string): Promise<void> {
    await exportOnnx(this, path);
  }

  /** Keras' `model.export`: only `format: 'onnx'` (the default here) is available. */
  async export(path: string, args: ExportArgs = {}): Promise<void> {
    await exportModel(this, path, args);
  }

  /** Checks each input array against the model's input shape, naming the layer that reads it. */
  private checkInputs(xs: Tensor[]): void {
    if (xs.length !== this.inputs.length) {
      throw new ValueError(`Model "${this.name}" expects ${this.inputs.length} input(s), but it received ${xs.length} input array(s)`);
    }
    xs.forEach((x, i) => {
      const expected = this.inputs[i].shape;
      // The batch axis is cut into batches: a batch size the model declares is for its stateful layers, which check it.
      const ok = x.rank === expected.length && expected.every((d, k) => k === 0 || d === null || d === x.shape[k]);
      if (ok) return;
      const reader = this.layers.find((l) => l.lastInputShape && this.inputs[i].shape === l.lastInputShape) ?? this.layers.find((l) => l.constructor.name !== 'InputLayer');
      const layer = reader ? `layer "${reader.name}"` : `model "${this.name}"`;
      const shape = `[${x.shape.join(', ')}]`;
      if (x.rank === expected.length) {
        throw new ShapeError(`Input ${i} of ${layer} is incompatible: expected last axis ${expected[expected.length - 1]}, got ${x.shape[x.rank - 1]} (shape ${shape})`);
      }
      throw new ShapeError(`Input ${i} of ${layer} is incompatible: expected shape [${expected.map((d) => d ?? 'null').join(', ')}], got ${shape}`);
    });
  }

  /** @internal */
  protected prepare(x: DataLike, y: DataLike | undefined, what: string): [Tensor[], Tensor[]] {
    const xs = this.dataStage ? this.dataStage.feed(x, this.inputNames, what) : this.inputTensors(x, what);
    const ys = y === undefined ? [] : toTensorList(y, 'y', undefined, this.outputNames);
    const n = sampleCount(xs, 'x');
    if (n === 0) throw new ValueError(`${what}: x has no samples (shape [${xs[0].shape.join(', ')}])`);
    for (const t of [...xs, ...ys]) {
      if (t.shape[0] !== n) throw new ValueError(`${what}: x and y must have the same number of samples: x has ${n}, y has ${t.shape[0]}`);
    }
    return [xs, ys];
  }

  /** The tensors of `x`, one per input, converted to each Input's dtype and checked (a model without a data stage). */
  private inputTensors(x: DataLike, what: string): Tensor[] {
    const texts = (isText(x) ? [x] : Array.isArray(x) ? x.filter(isText) : []) as unknown[];
    if (texts.length > 0) {
      const hint = this.built ? `its inputs take numbers (dtype ${this.inputs.map((t) => `'${t.dtype}'`).join(', ')})` : 'it has no inputs yet';
      throw new ValueError(
        `${what}: model "${this.name}" got text (${describeValue(texts[0])}), but ${hint}. Text goes to a string Input read by a TextVectorization, StringLookup or Hashing layer: kiln.Input({ shape: [1], dtype: 'string' })`,
      );
    }
    const xs = toTensorList(x, 'x', this.built ? this.inputs.map((t) => t.shape) : undefined, this.built ? this.inputNames : undefined);
    this.ensureBuilt(
      xs[0]?.shape.slice(1),
      xs.map((t) => t.shape.slice(1)),
    );
    // As Keras converts each input to its Input's dtype: ids for an int32 Input are truncated to integers.
    xs.forEach((t, i) => {
      const dtype = this.inputs[i]?.dtype;
      if (dtype !== undefined && dtype !== 'float32' && dtype !== 'string' && t.dtype !== dtype) xs[i] = t.astype(dtype);
    });
    this.checkInputs(xs);
    return xs;
  }

  /** Saves the model in Keras' `.keras` format, or the legacy `.h5` format (by extension). */
  async save(path: string): Promise<void> {
    // Distributed: the chief writes, the other ranks (same weights) do not race it for the file.
    if (!isChief()) return;
    const { saveModel } = await import('../saving/save_model.js');
    await saveModel(this, path);
  }

  /** Saves the weights alone (`.weights.h5`, Keras' layout). */
  async saveWeights(path: string): Promise<void> {
    if (!isChief()) return;
    const { saveWeights } = await import('../saving/weights_file.js');
    await saveWeights(this, path);
  }

  /** Loads weights saved by `saveWeights` (or Keras' `save_weights`, or a legacy `.h5`). */
  async loadWeights(path: string): Promise<void> {
    const { loadWeights } = await import('../saving/weights_file.js');
    await loadWeights(this, path);
  }

  /** The model's architecture as Keras' JSON (`model.to_json()`); no weights. */
  toJSON(): string {
    return JSON.stringify(modelConfig(this, false));
  }

  /** Model input shapes (batch axis null). */
  get inputShape(): Shape[] {
    return this.inputs.map((t) => t.shape);
  }
}

/** Runs `f` outside any layer call and gradient trace: a model builds its own graph there. */
function outsideTrace<T>(f: () => T): T {
  return withoutTape(() => outsideCalls(f));
}

// A layer holding a model (keras.io's `self.ffn = keras.Sequential([...])`) owns its weights.
trackInstancesOf(Model);
