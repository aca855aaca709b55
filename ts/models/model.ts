// Functional models: a graph from inputs to outputs, compiled into a native engine that trains,
// evaluates and predicts on native threads.
import type { NativeEngine } from '../../native.cjs';
import { Callback, CallbackList, type Logs, wantsSingleBatches, wantsTrainBatches } from '../callbacks/callback.js';
import { History } from '../callbacks/history.js';
import { ProgbarLogger } from '../callbacks/progbar_logger.js';
import { RuntimeError, ShapeError, ValueError } from '../errors.js';
import type { Layer, LayerNode } from '../layers/layer.js';
import { getLoss, type LossKind } from '../losses/index.js';
import { LossFunctionWrapper } from '../losses/loss_function.js';
import { checkMetricIdentifiers, type CompiledMetric, compileMetrics, engineMetricSpecs, metricLogs, type MetricsArgument } from '../metrics/compiled_metrics.js';
import { awaitNative, callNative, native } from '../native.js';
import { getOptimizer } from '../optimizers/index.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { type Shape, SymbolicTensor } from '../symbolic.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { uniqueName } from '../utils/naming.js';
import { Progbar } from '../utils/progbar.js';
import { modelConfig } from '../saving/model_config.js';
import { type DataLike, sampleCount, splitForValidation, toTensorList } from './data_adapter.js';
import { type LossIdentifier, type PerOutput, perOutputValues, planOutputs } from './compile_utils.js';
import { callModel } from './functional_call.js';
import { evaluateGraph } from './graph_eval.js';
import { engineSpec } from './engine_spec.js';
import { BatchCursor, checkValidationFreq, checkWeightOptions, type ClassWeight, resolveSampleWeights, shouldValidate, type ValidationFreq } from './fit_options.js';
import { Dataset } from '../data/dataset.js';
import { evaluateDataset, fitDataset, type ModelBatchAccess, predictDataset } from './dataset_runner.js';
import { buildGraphSpec, layersOf } from './graph_spec.js';
import { connectedTo } from './layer_graph.js';
import { summaryTable } from './summary.js';
import { exportModel, type ExportArgs } from '../export/export_model.js';
import { exportOnnx } from '../export/onnx/export_onnx.js';

export interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

export interface CompileArgs {
  /** A name ('rmsprop', 'adam', 'adamw', 'sgd', ...) or an instance. Default 'rmsprop', as Keras. */
  optimizer?: string | Optimizer;
  /**
   * A loss name ('categorical_crossentropy', 'mse', 'huber', ...) or instance
   * (`new kiln.losses.CategoricalCrossentropy({ fromLogits: true })`), a function
   * `(yTrue, yPred) => perSampleLoss` written with kiln.ops, used for every output; or one per
   * output: a list in output order or an object keyed by output layer name.
   */
  loss: PerOutput<LossIdentifier>;
  /**
   * Metric names and instances, e.g. ['accuracy', 'auc', new kiln.metrics.Precision({ thresholds: 0.7 })]
   * ('accuracy' is resolved from the loss as Keras does). With several outputs: one entry per
   * output (a metric, a list or null), or an object keyed by output name; a list of another
   * length applies to every output.
   */
  metrics?: MetricsArgument;
  /** Weights of each output's loss in the total (default 1 each): a list or an object keyed by output name. */
  lossWeights?: PerOutput<number>;
}

export interface FitArgs {
  /** Default 1. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2 | 'auto';
  /** Fraction of the data (its end, before shuffling) held out for validation. */
  validationSplit?: number;
  /** `[xVal, yVal]`, `[xVal, yVal, sampleWeight]`, or a kiln.data.Dataset of (x, y) batches. */
  validationData?: [DataLike, DataLike] | [DataLike, DataLike, TensorLike] | Dataset;
  /** Reshuffle the training samples each epoch (default true). */
  shuffle?: boolean;
  callbacks?: Callback[];
  /** Epoch to start from (default 0). */
  initialEpoch?: number;
  /** Weight of each class index in the loss (`{ 0: 1, 1: 5 }`); single-output models. */
  classWeight?: ClassWeight;
  /** One weight per training sample, multiplying its loss. */
  sampleWeight?: TensorLike;
  /**
   * Batches per epoch (default: all). Epochs continue where the previous one stopped (for a
   * Dataset, its iterator carries on), and a new shuffled pass over arrays begins when one
   * ends, as in Keras.
   */
  stepsPerEpoch?: number;
  /** Validation batches per validation run, from the first (default: all). */
  validationSteps?: number;
  /** Validate every n-th epoch, or at the listed epochs (counting from 1). Default 1. */
  validationFreq?: ValidationFreq;
  /** Batch size for validation (default: batchSize). */
  validationBatchSize?: number;
}

export interface EvaluateArgs {
  /** Default 32. */
  batchSize?: number;
  /** Default 1. */
  verbose?: 0 | 1 | 2 | 'auto';
  /** Return `{ loss, accuracy, ... }` instead of `[loss, ...metrics]`. */
  returnDict?: boolean;
  callbacks?: Callback[];
  /** One weight per sample, multiplying its loss. */
  sampleWeight?: TensorLike;
  /** Batches to evaluate, from the first (default: all). */
  steps?: number;
}

export interface PredictArgs {
  /** Default 32. */
  batchSize?: number;
  /** Default 0 for kiln (Keras prints a bar; pass 1 for it). */
  verbose?: 0 | 1 | 2 | 'auto';
  /** With a Dataset: batches to predict (default: all). */
  steps?: number;
}

interface Compiled {
  optimizer: Optimizer;
  /** Whether a loss is a custom function (its engine waits for the targets' shapes). */
  customLoss: boolean;
  metrics: CompiledMetric[];
  /** Each output's loss log key after `loss` (several outputs only), in Keras' order. */
  lossNames: string[];
  args: CompileArgs;
  /** Outputs whose targets the engine reads as extra inputs (custom losses), and as targets. */
  targetsAsInputs: number[];
  targetsAsTargets: number[];
}

/** What a run hands the engine: inputs (with custom losses' targets), targets, sample weights. */
interface EngineData {
  inputs: Tensor[];
  targets: Tensor[];
  sampleWeights?: Tensor;
}

/** Sums of a run's per-batch numbers: samples, loss, each output's loss, then each metric's state. */
class RunningLogs {
  private sums: number[];
  private readonly lossNames: string[];
  private readonly metrics: CompiledMetric[];
  constructor(compiled?: Pick<Compiled, 'lossNames' | 'metrics'>) {
    this.lossNames = compiled?.lossNames ?? [];
    this.metrics = compiled?.metrics ?? [];
    this.sums = new Array(this.metrics.reduce((n, m) => n + m.stateSize, 2 + this.lossNames.length)).fill(0);
  }
  add(flat: Float64Array): void {
    const width = this.sums.length;
    for (let i = 0; i < flat.length; i++) this.sums[i % width] += flat[i];
  }
  logs(prefix = ''): Logs {
    const samples = Math.max(1, this.sums[0]);
    const out: Logs = { [`${prefix}loss`]: this.sums[1] / samples };
    // Each output's loss follows the total, as the engine's batch logs put it.
    this.lossNames.forEach((n, i) => (out[`${prefix}${n}`] = this.sums[i + 2] / samples));
    return Object.assign(out, metricLogs(this.metrics, this.sums.slice(2 + this.lossNames.length), prefix));
  }
}

/** The log keys after `loss`, in Keras' order: each output's loss, then the metrics. */
function logNames(c: Compiled): string[] {
  return [...c.lossNames, ...c.metrics.map((m) => m.name)];
}

const TARGET_RUN_MS = 100;

function verbosity(v: FitArgs['verbose'], fallback: 0 | 1 | 2): 0 | 1 | 2 {
  if (v === undefined || v === 'auto') return fallback;
  if (v !== 0 && v !== 1 && v !== 2) throw new ValueError(`verbose must be 0, 1, 2 or 'auto', got ${String(v)}`);
  return v;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new ValueError(`\`${name}\` must be a positive integer, got ${value}`);
  return value;
}

export class Model {
  name: string;
  inputs: SymbolicTensor[] = [];
  outputs: SymbolicTensor[] = [];
  optimizer?: Optimizer;
  /** Set true in a callback to end `fit` after the current epoch. */
  stopTraining = false;
  /** @internal Set in onTrainBegin (BackupAndRestore) to resume `fit` at this epoch. */
  resumeEpoch?: number;
  private compiled?: Compiled;
  private engine?: NativeEngine;
  /** Made once for predict on a model that was never compiled. */
  private inferenceEngine?: NativeEngine;
  /** @internal Its calls as a layer of other models. */
  inboundNodes: LayerNode[] = [];
  /** Output shapes of its latest call as a layer (for summaries). */
  lastOutputShape?: Shape;
  lastOutputShapes?: Shape[];

  constructor(args?: ModelArgs) {
    this.name = args?.name ?? uniqueName(new.target === Model ? 'functional' : 'sequential');
    if (args) this.setGraph(args.inputs, args.outputs);
  }

  /** @internal */
  protected setGraph(inputs: SymbolicTensor | SymbolicTensor[], outputs: SymbolicTensor | SymbolicTensor[]): void {
    const ins = Array.isArray(inputs) ? inputs : [inputs];
    const outs = Array.isArray(outputs) ? outputs : [outputs];
    for (const t of [...ins, ...outs]) {
      if (!(t instanceof SymbolicTensor)) throw new ValueError(`Model inputs and outputs must be symbolic tensors (from kiln.Input and layer.apply), got ${String(t)}`);
    }
    if (ins.some((t) => t.spec.op !== 'input')) throw new ValueError('Model inputs must come from kiln.Input()');
    buildGraphSpec(ins, outs); // refuses disconnected graphs now
    this.inputs = ins;
    this.outputs = outs;
    this.engine = undefined;
    this.inferenceEngine = undefined;
  }

  /** Whether the graph exists (Sequential models build on first data). */
  get built(): boolean {
    return this.outputs.length > 0;
  }

  /** @internal Builds from the data's sample shape when needed (Sequential overrides). */
  protected ensureBuilt(_sampleShape?: number[]): void {
    if (!this.built) throw new ValueError('This model has no inputs or outputs');
  }

  get layers(): Layer[] {
    return layersOf(this.inputs, this.outputs) as Layer[];
  }

  getLayer(name: string): Layer {
    const layer = this.layers.find((l) => l.name === name);
    if (!layer) throw new ValueError(`No such layer: ${name}. Existing layers are: ${this.layers.map((l) => l.name).join(', ')}`);
    return layer;
  }

  get weights() {
    return [...new Set(this.layers.flatMap((l) => l.weights))];
  }

  get trainableWeights() {
    return [...new Set(this.layers.flatMap((l) => l.trainableWeights))];
  }

  get nonTrainableWeights() {
    return [...new Set(this.layers.flatMap((l) => l.nonTrainableWeights))];
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
  apply<T = SymbolicTensor>(inputs: SymbolicTensor | SymbolicTensor[]): T;
  apply<T = Tensor>(inputs: DataLike): T;
  apply<T>(inputs: SymbolicTensor | SymbolicTensor[] | DataLike): T {
    const given = Array.isArray(inputs) ? inputs : [inputs];
    if (!given.some((t) => t instanceof SymbolicTensor)) {
      const [xs] = this.prepare(inputs as DataLike, undefined, 'apply');
      const results = evaluateGraph(this.inputs, this.outputs, xs);
      return (results.length === 1 ? results[0] : results) as T;
    }
    const list = given as SymbolicTensor[];
    // A Sequential without an input shape builds from the tensor it is called on, as Keras.
    this.ensureBuilt(list[0]?.shape.slice(1) as number[]);
    const outputs = callModel(this.name, this.inputs, this.outputs, list);
    const nodeIndex = this.inboundNodes.push({ inputs: list, outputs }) - 1;
    outputs.forEach((t, tensorIndex) => Object.assign(t, { sourceLayer: this, nodeIndex, tensorIndex }));
    this.lastOutputShape = outputs[0].shape;
    this.lastOutputShapes = outputs.map((t) => t.shape);
    return (outputs.length === 1 ? outputs[0] : outputs) as T;
  }

  /** Every weight's current value, in Keras' order (layer by layer). */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.read());
  }

  setWeights(values: TensorLike[]): void {
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw new ValueError(`You called setWeights(weights) on model "${this.name}" with a weight list of length ${values.length}, but the model expects ${weights.length} weights`);
    }
    weights.forEach((w, i) => w.assign(values[i]));
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Prints Keras' summary table and returns it. */
  summary(printFn: (line: string) => void = console.log): string {
    if (!this.built) {
      throw new ValueError('This model has not yet been built. Build the model first by calling `build()` or by calling the model on a batch of data (fit, predict), or give the first layer an `inputShape`.');
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

  compile(args: CompileArgs): void {
    if (!args || args.loss === undefined) throw new ValueError('compile() needs a `loss`');
    const optimizer = getOptimizer(args.optimizer ?? 'rmsprop');
    // Unknown loss and metric names fail here; the rest is checked against the outputs.
    const losses = perOutputValues(args.loss).map((l) => getLoss(l as LossIdentifier));
    checkMetricIdentifiers(args.metrics, (losses[0]?.kind ?? 'mean_squared_error') as LossKind);
    const customLoss = losses.some((l) => l instanceof LossFunctionWrapper);
    const compiled: Compiled = { optimizer, customLoss, metrics: [], lossNames: [], args, targetsAsInputs: [], targetsAsTargets: [] };
    // A compile that fails leaves the previous one in place. Custom losses wait for the data's target shapes.
    const engine = this.built && !customLoss ? this.createEngine(compiled) : undefined;
    this.optimizer = optimizer;
    this.compiled = compiled;
    this.engine = engine;
  }

  /** The compiled engine, created on first need (after the graph is built; `ys` give custom losses their target shapes). */
  private getEngine(ys?: Tensor[]): NativeEngine {
    if (!this.compiled) throw new RuntimeError('You must call `compile()` before using the model for training or evaluation.');
    this.engine ??= this.createEngine(this.compiled, ys?.map((y) => y.shape.slice(1)));
    return this.engine;
  }

  /** The engine's view of a run's data. */
  private engineData(xs: Tensor[], ys: Tensor[], sampleWeights?: Tensor): EngineData {
    const c = this.compiled!;
    return { inputs: [...xs, ...c.targetsAsInputs.map((i) => ys[i])], targets: c.targetsAsTargets.map((i) => ys[i]), sampleWeights };
  }

  /** Resolves losses and metrics against the built graph and makes the native engine. */
  private createEngine(c: Compiled, targetShapes?: number[][]): NativeEngine {
    const plan = planOutputs(c.args, this.outputNames);
    const metrics = compileMetrics(c.args.metrics, this.outputs.map((out, i) => ({ name: this.outputNames[i], shape: out.shape, loss: plan.losses[i].loss.kind as LossKind })));
    const outputLosses = this.outputs.length > 1;
    const compiled = engineSpec({
      inputs: this.inputs,
      outputs: this.outputs,
      layers: this.layers,
      trainableWeights: this.trainableWeights,
      losses: plan.losses.map((l) => l.loss),
      lossWeights: plan.losses.map((l) => l.weight),
      metrics: engineMetricSpecs(metrics),
      optimizer: c.optimizer,
      targetShapes,
      outputLosses,
    });
    const engine = callNative(() => new native.NativeEngine(JSON.stringify(compiled.spec), compiled.variables.map((v) => v.handle)));
    c.metrics = metrics;
    c.lossNames = plan.lossNames;
    c.targetsAsInputs = compiled.targetsAsInputs;
    c.targetsAsTargets = compiled.targetsAsTargets;
    return engine;
  }

  /** Checks each input array against the model's input shape, naming the layer that reads it. */
  private checkInputs(xs: Tensor[]): void {
    if (xs.length !== this.inputs.length) {
      throw new ValueError(`Model "${this.name}" expects ${this.inputs.length} input(s), but it received ${xs.length} input array(s)`);
    }
    xs.forEach((x, i) => {
      const expected = this.inputs[i].shape;
      const ok = x.rank === expected.length && expected.every((d, k) => d === null || d === x.shape[k]);
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

  private prepare(x: DataLike, y: DataLike | undefined, what: string): [Tensor[], Tensor[]] {
    const xs = toTensorList(x, 'x', this.built ? this.inputs.map((t) => t.shape) : undefined, this.built ? this.inputNames : undefined);
    this.ensureBuilt(xs[0]?.shape.slice(1));
    this.checkInputs(xs);
    if (y === undefined && what !== 'predict' && what !== 'apply') {
      throw new ValueError(`${what}: \`y\` is required: the model's loss compares its outputs with targets`);
    }
    const ys = y === undefined ? [] : toTensorList(y, 'y', undefined, this.outputNames);
    const n = sampleCount(xs, 'x');
    if (n === 0) throw new ValueError(`${what}: x has no samples (shape [${xs[0].shape.join(', ')}])`);
    for (const t of [...xs, ...ys]) {
      if (t.shape[0] !== n) throw new ValueError(`${what}: x and y must have the same number of samples: x has ${n}, y has ${t.shape[0]}`);
    }
    return [xs, ys];
  }

  /**
   * Trains for `epochs` epochs; resolves to the History. The work runs on native threads.
   * `fit(dataset, args)` streams a kiln.data.Dataset of (x, y) batches.
   */
  async fit(x: Dataset, args?: FitArgs): Promise<History>;
  async fit(x: DataLike, y: DataLike, args?: FitArgs): Promise<History>;
  async fit(x: DataLike | Dataset, yOrArgs?: DataLike | FitArgs, args: FitArgs = {}): Promise<History> {
    // A 3-item validationData (with sample weights) is refused by the Dataset runner with a message.
    if (x instanceof Dataset) {
      const options = (yOrArgs ?? {}) as FitArgs;
      const unsupported = (['sampleWeight', 'classWeight', 'validationFreq', 'validationBatchSize'] as const).filter((k) => options[k] !== undefined);
      if (unsupported.length > 0) throw new ValueError(`fit: ${unsupported.map((k) => `\`${k}\``).join(', ')} ${unsupported.length > 1 ? 'are' : 'is'} supported with arrays, not yet with a kiln.data.Dataset`);
      if (this.engine) callNative(() => this.engine!.reseedIfStale());
      return fitDataset(this, x, yOrArgs, args as Parameters<typeof fitDataset>[3]);
    }
    const y = yOrArgs as DataLike;
    const { epochs = 1, batchSize = 32, validationSplit = 0, validationData, shuffle = true, callbacks = [], initialEpoch = 0, validationFreq = 1 } = args;
    const verbose = verbosity(args.verbose, 1);
    positiveInteger(epochs, 'epochs');
    positiveInteger(batchSize, 'batchSize');
    const validationBatchSize = positiveInteger(args.validationBatchSize ?? batchSize, 'validationBatchSize');
    if (args.stepsPerEpoch !== undefined) positiveInteger(args.stepsPerEpoch, 'stepsPerEpoch');
    if (args.validationSteps !== undefined) positiveInteger(args.validationSteps, 'validationSteps');
    checkValidationFreq(validationFreq);
    if (!this.compiled) throw new RuntimeError('You must call `compile()` before using the model for training (fit).');
    let [xs, ys] = this.prepare(x, y, 'fit');
    // Class weights are derived from the training targets only (after any split), as Keras.
    let weights = resolveSampleWeights(ys, args.sampleWeight, undefined, xs[0].shape[0]);
    checkWeightOptions(args.sampleWeight, args.classWeight, ys.length);
    let validationDataset: Dataset | undefined;
    let validation: EngineData | undefined;
    const engine = this.getEngine(ys);
    // Synchronously after the caller's code: a setSeed just before fit restarts the dropout masks.
    callNative(() => engine.reseedIfStale());
    if (validationData instanceof Dataset) {
      validationDataset = validationData;
    } else if (validationData) {
      const [xv, yv] = this.prepare(validationData[0], validationData[1], 'validationData');
      validation = this.engineData(xv, yv, resolveSampleWeights(yv, validationData[2], undefined, xv[0].shape[0]));
    } else if (validationSplit > 0) {
      const [xTrain, xVal] = splitForValidation(xs, validationSplit);
      const [yTrain, yVal] = splitForValidation(ys, validationSplit);
      // Keras splits the sample weights with the data.
      const [wTrain, wVal] = weights ? splitForValidation([weights], validationSplit).map((w) => w[0]) : [undefined, undefined];
      validation = this.engineData(xVal, yVal, wVal);
      [xs, ys, weights] = [xTrain, yTrain, wTrain];
    }
    if (args.classWeight !== undefined) weights = resolveSampleWeights(ys, undefined, args.classWeight, xs[0].shape[0]);
    const train = this.engineData(xs, ys, weights);
    const handles = (ts: Tensor[]) => ts.map((t) => t.handle);
    callNative(() => engine.checkData(handles(train.inputs), handles(train.targets)));
    if (validation) callNative(() => engine.checkData(handles(validation!.inputs), handles(validation!.targets)));

    const n = xs[0].shape[0];
    const cursor = new BatchCursor(n, Math.ceil(n / batchSize), shuffle);
    const steps = args.stepsPerEpoch ?? Math.ceil(n / batchSize);
    const history = new History();
    const progbar = verbose > 0 ? new ProgbarLogger(verbose as 1 | 2) : undefined;
    const all = [...callbacks, ...(progbar ? [progbar] : []), history];
    const list = new CallbackList(all);
    const perBatch = callbacks.some(wantsSingleBatches);
    // Batch hooks that accept one call per native run (TerminateOnNaN) leave fit chunked.
    const batchHooks = callbacks.some(wantsTrainBatches);
    for (const cb of all) {
      cb.setModel(this);
      cb.setParams({ epochs, steps, verbose });
    }
    const optimizer = this.compiled.optimizer;
    this.stopTraining = false;
    this.resumeEpoch = undefined;
    await list.call('onTrainBegin');
    // BackupAndRestore may have restored a later epoch in onTrainBegin.
    const firstEpoch = Math.max(initialEpoch, this.resumeEpoch ?? 0);
    for (let epoch = firstEpoch; epoch < epochs && !this.stopTraining; epoch++) {
      await list.call('onEpochBegin', epoch);
      const { order, first, count: epochSteps } = cursor.nextEpoch(args.stepsPerEpoch);
      const running = new RunningLogs(this.compiled);
      let runLength = 1;
      for (let done = 0; done < epochSteps; ) {
        const count = perBatch ? 1 : Math.min(runLength, epochSteps - done);
        if (batchHooks) await list.call('onTrainBatchBegin', done);
        const rates = Float32Array.from({ length: count }, (_, i) => optimizer.learningRateAt(optimizer.iterations + i));
        const started = performance.now();
        const flat = await awaitNative(() => engine.trainBatches(handles(train.inputs), handles(train.targets), order, batchSize, first + done, count, rates, train.sampleWeights?.handle));
        const elapsed = performance.now() - started;
        optimizer.iterations += count;
        running.add(flat);
        done += count;
        // Size the next native run to about TARGET_RUN_MS: progress stays live, overhead stays low.
        runLength = Math.max(1, Math.min(4096, Math.round((count * TARGET_RUN_MS) / Math.max(elapsed, 1e-3))));
        const logs = running.logs();
        if (batchHooks) await list.call('onTrainBatchEnd', done - 1, logs);
        progbar?.progress(done, logs);
        // As Keras: stopTraining set by a batch hook ends the epoch here (onEpochEnd still runs).
        if (this.stopTraining) break;
      }
      const epochLogs = running.logs();
      if (validation && shouldValidate(epoch, validationFreq)) {
        Object.assign(epochLogs, await this.runEvaluation(validation, validationBatchSize, args.validationSteps, 'val_', undefined, list));
      }
      if (validationDataset && shouldValidate(epoch, validationFreq)) {
        Object.assign(epochLogs, await evaluateDataset(this, validationDataset, { verbose: 0, returnDict: true, steps: args.validationSteps }).then(prefixLogs('val_')));
      }
      await list.call('onEpochEnd', epoch, epochLogs);
    }
    await list.call('onTrainEnd');
    return history;
  }

  /** Loss and metrics over the first `maxSteps` batches (default all); callbacks get Keras' test hooks (batch ones per native run). */
  private async runEvaluation(data: EngineData, batchSize: number, maxSteps: number | undefined, prefix = '', bar?: Progbar, callbacks = new CallbackList([])): Promise<Logs> {
    const engine = this.getEngine();
    const steps = Math.min(Math.ceil(data.inputs[0].shape[0] / batchSize), maxSteps ?? Infinity);
    const running = new RunningLogs(this.compiled!);
    const perRun = Math.max(1, Math.ceil(steps / 10));
    await callbacks.call('onTestBegin');
    for (let done = 0; done < steps; done += perRun) {
      const count = Math.min(perRun, steps - done);
      running.add(await awaitNative(() => engine.evaluateBatches(data.inputs.map((t) => t.handle), data.targets.map((t) => t.handle), batchSize, done, count, data.sampleWeights?.handle)));
      bar?.update(done + count, running.logs(prefix), false);
      await callbacks.call('onTestBatchEnd', done + count - 1, running.logs());
    }
    await callbacks.call('onTestEnd', running.logs());
    return running.logs(prefix);
  }

  /** Returns `[loss, ...metrics]` on the given data (or a dict with `returnDict`). */
  async evaluate(x: Dataset, args: EvaluateArgs & { returnDict: true }): Promise<Logs>;
  async evaluate(x: Dataset, args?: EvaluateArgs): Promise<number[]>;
  async evaluate(x: DataLike, y: DataLike, args: EvaluateArgs & { returnDict: true }): Promise<Logs>;
  async evaluate(x: DataLike, y: DataLike, args?: EvaluateArgs): Promise<number[]>;
  async evaluate(x: DataLike | Dataset, yOrArgs?: DataLike | EvaluateArgs, args: EvaluateArgs = {}): Promise<number[] | Logs> {
    if (x instanceof Dataset) {
      if (((yOrArgs ?? {}) as EvaluateArgs).sampleWeight !== undefined) throw new ValueError('evaluate: `sampleWeight` is supported with arrays, not yet with a kiln.data.Dataset');
      return evaluateDataset(this, x, yOrArgs, args);
    }
    const y = yOrArgs as DataLike;
    const { batchSize = 32, returnDict = false } = args;
    const verbose = verbosity(args.verbose, 1);
    positiveInteger(batchSize, 'batchSize');
    if (!this.compiled) throw new RuntimeError('You must call `compile()` before using the model for evaluation (evaluate).');
    if (args.steps !== undefined) positiveInteger(args.steps, 'steps');
    const [xs, ys] = this.prepare(x, y, 'evaluate');
    const engine = this.getEngine(ys);
    const data = this.engineData(xs, ys, resolveSampleWeights(ys, args.sampleWeight, undefined, xs[0].shape[0]));
    callNative(() => engine.checkData(data.inputs.map((t) => t.handle), data.targets.map((t) => t.handle)));
    const steps = Math.min(Math.ceil(xs[0].shape[0] / batchSize), args.steps ?? Infinity);
    const bar = verbose > 0 ? new Progbar(steps, { verbose: verbose as 1 | 2 }) : undefined;
    const callbacks = args.callbacks ?? [];
    callbacks.forEach((cb) => cb.setModel(this));
    const logs = await this.runEvaluation(data, batchSize, args.steps, '', bar, new CallbackList(callbacks));
    bar?.update(steps, logs, true);
    if (returnDict) return logs;
    return [logs.loss, ...logNames(this.compiled).map((n) => logs[n])];
  }

  /**
   * The model's outputs for every sample: a Tensor, or an array of them for a model with
   * several outputs (`predict<Tensor[]>(x)`).
   */
  async predict<T extends Tensor | Tensor[] = Tensor>(x: DataLike | Dataset, args: PredictArgs = {}): Promise<T> {
    if (x instanceof Dataset) return (await predictDataset(this, x, args)) as T;
    const { batchSize = 32 } = args;
    const verbose = verbosity(args.verbose, 0);
    positiveInteger(batchSize, 'batchSize');
    const [xs] = this.prepare(x, undefined, 'predict');
    const engine = this.predictEngine();
    const results = (await awaitNative(() => engine.predict(xs.map((t) => t.handle), batchSize))).map((h) => new Tensor(h));
    if (verbose > 0) {
      const steps = Math.ceil(xs[0].shape[0] / batchSize);
      new Progbar(steps, { verbose: verbose as 1 | 2 }).update(steps, {}, true);
    }
    return (results.length === 1 ? results[0] : results) as T;
  }

  /** An engine for inference: the compiled one, or one without loss for uncompiled models. */
  private predictEngine(): NativeEngine {
    // A custom loss's engine waits for the targets' shapes: predict without it until then.
    if (this.compiled && (this.engine || !this.compiled.customLoss)) return this.getEngine();
    if (!this.inferenceEngine) {
      const { graph, variables } = buildGraphSpec(this.inputs, this.outputs);
      const spec = { graph, trainable: variables.map(() => false) };
      this.inferenceEngine = callNative(() => new native.NativeEngine(JSON.stringify(spec), variables.map((v) => v.handle)));
    }
    return this.inferenceEngine;
  }

  /** Saves the model in Keras' `.keras` format, or the legacy `.h5` format (by extension). */
  async save(path: string): Promise<void> {
    const { saveModel } = await import('../saving/save_model.js');
    await saveModel(this, path);
  }

  /** Saves the weights alone (`.weights.h5`, Keras' layout). */
  async saveWeights(path: string): Promise<void> {
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

  /** @internal For saving: the compile arguments, the optimizer and the training engine. */
  compiledState(): { args: CompileArgs; optimizer: Optimizer; engine: () => NativeEngine } | undefined {
    const compiled = this.compiled;
    return compiled && { args: compiled.args, optimizer: compiled.optimizer, engine: () => this.getEngine() };
  }

  /** @internal What ts/models/dataset_runner.ts needs to feed a Dataset batch by batch. */
  batchAccess(): ModelBatchAccess {
    return {
      prepare: (x, y, what) => {
        const [xs, ys] = this.prepare(x, y, what);
        if (!this.compiled || y === undefined) return [xs, ys];
        // The engine's view: custom losses read their targets as extra inputs.
        this.getEngine(ys);
        const data = this.engineData(xs, ys);
        return [data.inputs, data.targets];
      },
      engine: () => this.getEngine(),
      predictEngine: () => this.predictEngine(),
      optimizer: () => this.compiled?.optimizer,
      metricNames: () => (this.compiled ? logNames(this.compiled) : []),
      inputCount: () => this.inputs.length,
      verbosity: (verbose, fallback) => verbosity(verbose as FitArgs['verbose'], fallback),
      newLogs: () => new RunningLogs(this.compiled),
    };
  }

  /** Model input shapes (batch axis null). */
  get inputShape(): Shape[] {
    return this.inputs.map((t) => t.shape);
  }
}

/** Renames a dict of logs with a prefix ('val_'). */
function prefixLogs(prefix: string): (logs: number[] | Logs) => Logs {
  return (logs) => Object.fromEntries(Object.entries(logs as Logs).map(([name, value]) => [`${prefix}${name}`, value]));
}
