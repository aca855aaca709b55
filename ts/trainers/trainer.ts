// The trainer a Model inherits, as Keras 3's `Trainer`: compile, and one fit / evaluate /
// predict loop over every data source (arrays, a kiln.data.Dataset, generators), which a data
// adapter hands out in runs of batches, each run one native call on the compiled engine.
import type { NativeEngine } from '../../native.cjs';
import { CallbackList, type Logs, wantsSingleBatches, wantsTrainBatches } from '../callbacks/callback.js';
import { History } from '../callbacks/history.js';
import { ProgbarLogger } from '../callbacks/progbar_logger.js';
import { ValueError, RuntimeError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import { getLoss, type LossKind } from '../losses/index.js';
import { Metric } from '../metrics/metric.js';
import { LossFunctionWrapper } from '../losses/loss_function.js';
import { checkMetricIdentifiers, type CompiledMetric, compileMetrics, engineMetricSpecs } from '../metrics/compiled_metrics.js';
import { type LossIdentifier, perOutputValues, planOutputs } from '../models/compile_utils.js';
import { type DataLike, sampleCount, splitForValidation, toTensorList } from '../models/data_adapter.js';
import { engineSpec } from '../models/engine_spec.js';
import type { Model } from '../models/model.js';
import { awaitNative, callNative, native } from '../native.js';
import { getOptimizer } from '../optimizers/index.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import type { SymbolicTensor } from '../symbolic.js';
import { Tensor, type TensorLike } from '../tensor.js';
import type { Variable } from '../variable.js';
import { checkOptionNames } from '../utils/options.js';
import { activeJob } from '../distribution/distribution.js';
import { announceFailure, anyRankStops, refuseCustomStep, refuseInexactReductions, synchronizeFit } from '../distribution/fit_sync.js';
import { callbacksForThisRank, printsProgress } from '../distribution/rank_callbacks.js';
import { Progbar } from '../utils/progbar.js';
import { INFINITE_CARDINALITY } from '../data/dataset.js';
import {
  ArrayDataAdapter,
  asDataset,
  type BatchConverter,
  type BatchStream,
  type DataAdapter,
  DatasetAdapter,
  type EngineData,
  isBatchStream,
  streamKind,
  unpackBatch,
} from './data_adapters/index.js';
import { EpochIterator } from './epoch_iterator.js';
import { inferenceEngine, predictNowIfQuick, predictOnBatchNow } from './inference_engine.js';
import { checkWeightOptions, type ClassWeight, resolveSampleWeights, shouldValidate } from './fit_options.js';
import { logNames, RunningLogs } from './running_logs.js';
import { concatRows, runRows } from './run_rows.js';
import { checkStepLogs, type StepData, stepBatch } from './step_data.js';
import {
  checkCompileArgs,
  type CompileArgs,
  type EvaluateArgs,
  evaluateOptions,
  type FitArgs,
  fitOptions,
  type FitOptions,
  type PredictArgs,
  predictOptions,
  TEST_ON_BATCH_OPTIONS,
  type TestOnBatchArgs,
  TRAIN_ON_BATCH_OPTIONS,
  type TrainOnBatchArgs,
} from './trainer_args.js';

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

/** Native work per training call that fit aims for: progress stays live, per-call overhead stays low. */
const TARGET_RUN_MS = 100;
/** Most batches in one training call. */
const MAX_RUN_BATCHES = 4096;

const handles = (ts: Tensor[]) => ts.map((t) => t.handle);

/** The sample order 0..n-1 (reused while n stays the same). */
let identityOrder = new Uint32Array(0);
function inOrder(n: number): Uint32Array {
  if (identityOrder.length !== n) identityOrder = Uint32Array.from({ length: n }, (_, i) => i);
  return identityOrder;
}

/** `fit(stream, args)` puts the options second; `y` itself is refused, as Keras does. */
function optionsAfterStream<T>(x: BatchStream, y: unknown, args: T | undefined): T {
  const isOptions = y === undefined || (typeof y === 'object' && y !== null && !Array.isArray(y) && !ArrayBuffer.isView(y) && !(y instanceof Tensor));
  const kind = streamKind(x);
  if (!isOptions) throw new ValueError(`When providing \`x\` as a ${kind}, \`y\` should not be passed. Instead, the targets should be included as part of the ${kind}.`);
  return ((y as T | undefined) ?? args ?? {}) as T;
}

/** Keras' refusal of an array-only option with a stream, naming where the values belong instead. */
function refuseWithStream(where: string, x: BatchStream, options: Record<string, unknown>): void {
  const kind = streamKind(x);
  if (options.sampleWeight !== undefined) {
    throw new ValueError(
      `${where}: when providing \`x\` as a ${kind}, \`sampleWeight\` should not be passed. Instead, the sample weights should be included as part of the ${kind}: (x, y, sampleWeight) batches.`,
    );
  }
}

function batchSizeWithStream(where: string, x: BatchStream): never {
  throw new ValueError(`${where}: \`batchSize\` does not apply to a ${streamKind(x)}, whose batches are already made; remove it, or batch the data with \`.batch(n)\``);
}

/** Training and evaluation compare outputs with targets: `y` must be given. */
function requireTargets(what: string, y: DataLike | undefined): void {
  if (y === undefined) throw new ValueError(`${what}: \`y\` is required: the model's loss compares its outputs with targets`);
}

/** Logs renamed with a prefix ('val_'). */
function withPrefix(logs: Logs, prefix: string): Logs {
  return prefix ? Object.fromEntries(Object.entries(logs).map(([name, value]) => [`${prefix}${name}`, value])) : logs;
}

/**
 * Keras' Trainer: what a Model does with data. The model supplies its graph (inputs, outputs,
 * layers, weights) and turns user data into checked tensors (`prepare`).
 */
export abstract class Trainer {
  /** The optimizer set by `compile` (undefined before). */
  optimizer?: Optimizer;
  /** Set true in a callback to end `fit` after the current epoch. */
  stopTraining = false;
  /** @internal Set in onTrainBegin (BackupAndRestore) to resume `fit` at this epoch. */
  resumeEpoch?: number;
  private compiled?: Compiled;
  private engine?: NativeEngine;
  /** Made once for predict (see inference_engine.ts). */
  private inferenceEngine?: NativeEngine;
  /** Made once for predictOnBatch: its own, so a synchronous call never waits for an async predict. */
  private batchEngine?: NativeEngine;

  abstract name: string;
  abstract inputs: SymbolicTensor[];
  /** @internal What the engine is fed (the inputs, or a data stage's outputs; see models/data_stage.ts). */
  abstract get engineInputs(): SymbolicTensor[];
  abstract outputs: SymbolicTensor[];
  abstract get layers(): Layer[];
  abstract get trainableWeights(): Variable[];
  abstract get outputNames(): string[];
  /** @internal Checked tensors of `x` (and `y`), building the model from them when needed; `what` names the caller in errors. */
  protected abstract prepare(x: DataLike, y: DataLike | undefined, what: string): [Tensor[], Tensor[]];

  /** @internal The graph changed: engines are made again on next use. */
  protected resetEngines(): void {
    this.engine = undefined;
    this.inferenceEngine = undefined;
    this.batchEngine = undefined;
  }

  private get model(): Model {
    return this as unknown as Model;
  }

  /**
   * Configures the model for training: the optimizer, the loss and the metrics. Unknown option
   * names, losses and metrics are refused; `loss` is required unless the model overrides
   * `trainStep`. A compile that fails leaves the previous one in place.
   *
   * @param args The optimizer (default 'rmsprop'), loss, metrics and lossWeights.
   * @example
   * ```ts
   * model.compile({
   *   optimizer: new kiln.optimizers.Adam({ learningRate: 1e-3 }),
   *   loss: 'sparse_categorical_crossentropy',
   *   metrics: ['accuracy'],
   * });
   * ```
   */
  compile(args: CompileArgs = {}): void {
    // A model with its own trainStep may compute its loss itself (keras.io's VAE and GAN).
    const noLoss = args?.loss === undefined;
    checkCompileArgs(args, this.customSteps().train);
    const optimizer = getOptimizer(args.optimizer ?? 'rmsprop');
    // Unknown loss and metric names fail here; the rest is checked against the outputs.
    const losses = perOutputValues(args.loss).map((l) => getLoss(l as LossIdentifier));
    checkMetricIdentifiers(args.metrics, (losses[0]?.kind ?? 'mean_squared_error') as LossKind);
    const customLoss = losses.some((l) => l instanceof LossFunctionWrapper);
    const compiled: Compiled = { optimizer, customLoss, metrics: [], lossNames: [], args, targetsAsInputs: [], targetsAsTargets: [] };
    // A compile that fails leaves the previous one in place. Custom losses wait for the data's target shapes.
    const engine = this.outputs.length > 0 && !customLoss && !noLoss ? this.createEngine(compiled) : undefined;
    this.optimizer = optimizer;
    this.compiled = compiled;
    this.engine = engine;
  }

  /** The compiled engine, created on first need (after the graph is built; `ys` give custom losses their target shapes). */
  private getEngine(ys?: Tensor[]): NativeEngine {
    if (!this.compiled) throw new RuntimeError('You must call `compile()` before using the model for training or evaluation.');
    if (this.compiled.args.loss === undefined) throw new ValueError('No loss to compute. Provide a `loss` argument in `compile()`.');
    this.engine ??= this.createEngine(
      this.compiled,
      ys?.map((y) => y.shape.slice(1)),
    );
    return this.engine;
  }

  /** The engine's view of some data (custom losses read their targets as extra inputs). */
  private engineData(xs: Tensor[], ys: Tensor[], sampleWeights?: Tensor): EngineData {
    const c = this.compiled!;
    return { inputs: [...xs, ...c.targetsAsInputs.map((i) => ys[i])], targets: c.targetsAsTargets.map((i) => ys[i]), sampleWeights };
  }

  /** Checked tensors of x, y and their sample weights as the engine reads them (its engine made from ys). */
  private trainingData(x: DataLike, y: DataLike | undefined, what: string, sampleWeight?: TensorLike, classWeight?: ClassWeight): EngineData {
    const [xs, ys] = this.prepare(x, y, what);
    requireTargets(what, y);
    const weights = resolveSampleWeights(ys, sampleWeight, classWeight, xs[0].shape[0]);
    this.getEngine(ys);
    return this.engineData(xs, ys, weights);
  }

  /**
   * Tensors of x, y and their sample weights as the user gave them, for a custom
   * trainStep/testStep: its own code reads them, so they need not fit the model's inputs (a
   * GAN's data are images, its inputs noise); only their sample counts must agree.
   */
  private stepData(x: DataLike, y: DataLike | undefined, what: string, sampleWeight?: TensorLike, classWeight?: ClassWeight): EngineData {
    const xs = toTensorList(x, 'x');
    const ys = y === undefined ? [] : toTensorList(y, 'y');
    const n = sampleCount(xs, 'x');
    for (const t of [...xs, ...ys]) {
      if (t.shape[0] !== n) throw new ValueError(`${what}: x and y must have the same number of samples: x has ${n}, y has ${t.shape[0]}`);
    }
    return { inputs: xs, targets: ys, sampleWeights: resolveSampleWeights(ys, sampleWeight, classWeight, n) };
  }

  /** Resolves losses and metrics against the built graph and makes the native engine. */
  private createEngine(c: Compiled, targetShapes?: number[][]): NativeEngine {
    const plan = planOutputs({ ...c.args, loss: c.args.loss! }, this.outputNames);
    const metrics = compileMetrics(
      c.args.metrics,
      this.outputs.map((out, i) => ({ name: this.outputNames[i], shape: out.shape, loss: plan.losses[i].loss.kind as LossKind })),
    );
    const compiled = engineSpec({
      inputs: this.engineInputs,
      outputs: this.outputs,
      // A subclassed model's own addLoss terms come with its layers'.
      layers: [...this.layers, this.model],
      trainableWeights: this.trainableWeights,
      losses: plan.losses.map((l) => l.loss),
      lossWeights: plan.losses.map((l) => l.weight),
      metrics: engineMetricSpecs(metrics),
      optimizer: c.optimizer,
      targetShapes,
      outputLosses: this.outputs.length > 1,
    });
    const engine = callNative(
      () =>
        new native.NativeEngine(
          JSON.stringify(compiled.spec),
          compiled.variables.map((v) => v.handle),
        ),
    );
    c.metrics = metrics;
    c.lossNames = plan.lossNames;
    c.targetsAsInputs = compiled.targetsAsInputs;
    c.targetsAsTargets = compiled.targetsAsTargets;
    return engine;
  }

  /** The engine predict runs on: the graph alone, compiled or not (see inference_engine.ts). */
  private predictEngine(): NativeEngine {
    this.inferenceEngine ??= inferenceEngine(this.engineInputs, this.outputs);
    return this.inferenceEngine;
  }

  /** Turns each batch of a stream into engine data: (x, y) or (x, y, sampleWeight), with class weights applied. */
  private batchConverter(what: string, classWeight?: ClassWeight, custom = false): BatchConverter {
    return (element, index) => {
      const { x, y, sampleWeight } = unpackBatch(element, index, what, this.inputs.length || 1, !custom);
      return custom ? this.stepData(x, y, what, sampleWeight, classWeight) : this.checkData(this.trainingData(x, y, what, sampleWeight, classWeight));
    };
  }

  /** Inputs alone of each batch of a stream (predict). */
  private inputConverter(): BatchConverter {
    return (element, index) => {
      const { x } = unpackBatch(element, index, 'predict', this.inputs.length || 1, false);
      return { inputs: this.prepare(x, undefined, 'predict')[0], targets: [] };
    };
  }

  /** Validates data before it is used (shapes, NaN, label ranges): arrays once, a stream's batches as they arrive. */
  private checkData(data: EngineData): EngineData {
    const engine = this.getEngine();
    callNative(() => engine.checkData(handles(data.inputs), handles(data.targets)));
    return data;
  }

  /** The training and validation sources of a fit, with validationSplit applied to arrays. */
  private async fitSources(x: DataLike | BatchStream, y: DataLike | undefined, o: FitOptions, custom: { train: boolean; test: boolean }) {
    const validationData = o.validationData;
    const validationIsStream = validationData !== undefined && isBatchStream(validationData);
    if (validationData !== undefined && !validationIsStream && (!Array.isArray(validationData) || (validationData.length !== 2 && validationData.length !== 3))) {
      throw new ValueError('fit: `validationData` must be a kiln.data.Dataset, [xVal, yVal] or [xVal, yVal, sampleWeight]');
    }
    if (o.validationBatchSizeGiven && (validationIsStream || (validationData === undefined && isBatchStream(x)))) {
      throw new ValueError("fit: `validationBatchSize` applies to array validation data; a kiln.data.Dataset's batches are already made");
    }
    let train: DataAdapter;
    let heldOut: EngineData | undefined;
    if (isBatchStream(x)) {
      if (o.validationSplit > 0) throw new ValueError('`validationSplit` is only supported for tensors or typed arrays, not for a kiln.data.Dataset; pass `validationData` instead');
      if (o.batchSizeGiven && (validationData === undefined || validationIsStream)) batchSizeWithStream('fit', x);
      if (o.shuffleGiven && o.shuffle) {
        process.emitWarning(
          `\`shuffle: true\` was passed, but will be ignored since the data \`x\` was provided as a ${streamKind(x)}. The ${streamKind(x)} is expected to already be shuffled (via \`.shuffle(bufferSize)\`).`,
        );
      }
      checkWeightOptions(undefined, o.classWeight, this.outputs.length || 1);
      const dataset = asDataset(x);
      if (o.stepsPerEpoch === undefined && dataset.cardinality() === INFINITE_CARDINALITY) {
        throw new ValueError('When passing an infinitely repeating dataset, you must specify the `stepsPerEpoch` argument');
      }
      train = new DatasetAdapter(dataset, this.batchConverter('fit', o.classWeight, custom.train));
      await train.start();
    } else {
      let [xs, ys] = custom.train ? [toTensorList(x, 'x'), y === undefined ? [] : toTensorList(y, 'y')] : this.prepare(x, y, 'fit');
      // A custom trainStep may train without targets (Keras' `fit(x)`); validation may still need them.
      if (!custom.train || (!custom.test && o.validationSplit > 0 && validationData === undefined)) requireTargets('fit', y);
      // Class weights are derived from the training targets only (after any split), as Keras.
      let weights = resolveSampleWeights(ys, o.sampleWeight, undefined, xs[0].shape[0]);
      checkWeightOptions(o.sampleWeight, o.classWeight, ys.length);
      if (ys.length > 0 && (!custom.train || !custom.test)) this.getEngine(ys);
      if (validationData === undefined && o.validationSplit > 0) {
        const [xTrain, xVal] = splitForValidation(xs, o.validationSplit);
        const [yTrain, yVal] = splitForValidation(ys, o.validationSplit);
        // Keras splits the sample weights with the data.
        const [wTrain, wVal] = weights ? splitForValidation([weights], o.validationSplit).map((w) => w[0]) : [undefined, undefined];
        heldOut = custom.test ? { inputs: xVal, targets: yVal, sampleWeights: wVal } : this.checkData(this.engineData(xVal, yVal, wVal));
        [xs, ys, weights] = [xTrain, yTrain, wTrain];
      }
      if (o.classWeight !== undefined) weights = resolveSampleWeights(ys, undefined, o.classWeight, xs[0].shape[0]);
      const data = custom.train ? { inputs: xs, targets: ys, sampleWeights: weights } : this.checkData(this.engineData(xs, ys, weights));
      train = new ArrayDataAdapter(data, o.batchSize, o.shuffle);
    }
    if (validationIsStream) {
      return { train, validation: new DatasetAdapter(asDataset(validationData as BatchStream), this.batchConverter('validationData', undefined, custom.test)) };
    }
    try {
      if (validationData !== undefined) {
        const [xv, yv, wv] = validationData as [DataLike, DataLike, TensorLike?];
        heldOut = custom.test ? this.stepData(xv, yv, 'validationData', wv) : this.checkData(this.trainingData(xv, yv, 'validationData', wv));
      }
    } catch (error) {
      await train.close(); // a started Dataset holds its iterator open
      throw error;
    }
    const validation = heldOut && new ArrayDataAdapter(heldOut, o.validationBatchSize, false);
    return { train, validation };
  }

  /**
   * Trains for `epochs` epochs; resolves to the History. The work runs on native threads.
   * `fit(dataset, args)` streams a kiln.data.Dataset (or an async iterable or generator) of
   * (x, y) or (x, y, sampleWeight) batches.
   * Needs `compile()` first (a RuntimeError otherwise); unknown options are refused.
   *
   * @param x A stream of (x, y) or (x, y, sampleWeight) batches in this form; input arrays with
   * `y` in the next.
   * @param args Epochs (default 1), batchSize (default 32), validation, callbacks, ...: see FitArgs.
   * @returns A History whose `history` holds each epoch's loss and metrics.
   * @example
   * ```ts
   * const history = await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 64, validationSplit: 0.1 });
   * console.log(history.history.val_loss);
   * ```
   */
  async fit(x: BatchStream, args?: FitArgs): Promise<History>;
  /**
   * Trains on arrays for `epochs` epochs; resolves to the History.
   * @param x Input data: a tensor or nested array, a list of them (several inputs), or an object keyed by input name.
   * @param y Target data, in the same forms as `x`.
   * @param args Epochs (default 1), batchSize (default 32), validation, callbacks, ...: see FitArgs.
   */
  async fit(x: DataLike, y: DataLike, args?: FitArgs): Promise<History>;
  async fit(x: DataLike | BatchStream, yOrArgs?: DataLike | FitArgs, maybeArgs?: FitArgs): Promise<History> {
    const stream = isBatchStream(x);
    const args = stream ? optionsAfterStream<FitArgs>(x, yOrArgs, maybeArgs) : maybeArgs;
    const o = fitOptions(args);
    if (stream) refuseWithStream('fit', x, o);
    if (!this.compiled) throw new RuntimeError('You must call `compile()` before using the model for training (fit).');
    // Synchronously after the caller's code: a setSeed just before fit restarts the dropout masks
    // of an engine that exists already (a new one starts from the current seed).
    if (this.engine) callNative(() => this.engine!.reseedIfStale());
    const custom = this.customSteps();
    if (activeJob()) {
      if (custom.train) refuseCustomStep();
      refuseInexactReductions(perOutputValues(this.compiled.args.loss).map((l) => getLoss(l as LossIdentifier)));
    }
    const { train, validation } = await this.fitSources(x, stream ? undefined : (yOrArgs as DataLike), o, custom);
    try {
      return await this.fitLoop(train, validation, o, stream ? streamKind(x) : 'data', custom);
    } catch (error) {
      // Distributed: the other ranks stop now, with this error, rather than wait for this rank.
      announceFailure(error);
      throw error;
    } finally {
      await train.close();
      await validation?.close();
    }
  }

  /** The one training loop, the same for every source. */
  private async fitLoop(train: DataAdapter, validation: DataAdapter | undefined, o: FitOptions, sourceKind: string, custom: { train: boolean; test: boolean }): Promise<History> {
    const { epochs, verbose } = o;
    // Distributed: callbacks that write files run on the chief only.
    const callbacks = callbacksForThisRank(o.callbacks);
    const epochIterator = new EpochIterator(train, o.stepsPerEpoch, true);
    const validationIterator = validation && new EpochIterator(validation, o.validationSteps, false);
    let steps = epochIterator.numBatches;
    const history = new History();
    const progbar = verbose > 0 && printsProgress() ? new ProgbarLogger(verbose as 1 | 2) : undefined;
    const all = [...callbacks, ...(progbar ? [progbar] : []), history];
    const list = new CallbackList(all);
    const perBatch = callbacks.some(wantsSingleBatches);
    // Batch hooks that accept one call per native run (TerminateOnNaN) leave fit chunked.
    const batchHooks = callbacks.some(wantsTrainBatches);
    for (const cb of all) {
      cb.setModel(this.model);
      cb.setParams({ epochs, steps: steps ?? 0, verbose });
    }
    const optimizer = this.compiled!.optimizer;
    this.stopTraining = false;
    this.resumeEpoch = undefined;
    await list.call('onTrainBegin');
    // BackupAndRestore may have restored a later epoch in onTrainBegin.
    let firstEpoch = Math.max(o.initialEpoch, this.resumeEpoch ?? 0);
    if (activeJob()) {
      // Every rank starts from rank 0's weights, optimizer state and epoch.
      const samples = train instanceof ArrayDataAdapter ? train.samples : null;
      const fitShape = { epochs, samples, batchSize: o.batchSizeGiven ? o.batchSize : null, stepsPerEpoch: o.stepsPerEpoch ?? null, batchesPerEpoch: steps ?? null, shuffle: o.shuffle };
      ({ iterations: optimizer.iterations, firstEpoch } = await synchronizeFit(this.model, this.getEngine(), optimizer, fitShape, firstEpoch));
    }
    for (let epoch = firstEpoch; epoch < epochs && !this.stopTraining; epoch++) {
      await list.call('onEpochBegin', epoch);
      this.resetTrackedMetrics();
      await epochIterator.startEpoch();
      const running = new RunningLogs(this.compiled);
      let stepLogs: Logs = {};
      let runLength = 1;
      for (;;) {
        // A custom trainStep sees one batch per call, as Keras' train_step.
        const run = await epochIterator.nextRun(perBatch || custom.train ? 1 : runLength);
        if (!run) break;
        const done = epochIterator.batchesDone;
        if (batchHooks) await list.call('onTrainBatchBegin', done - run.count);
        let logs: Logs;
        if (custom.train) {
          logs = stepLogs = checkStepLogs('trainStep', await this.trainStep(stepBatch(run)));
        } else {
          const engine = this.getEngine();
          const rates = Float32Array.from({ length: run.count }, (_, i) => optimizer.learningRateAt(optimizer.iterations + i));
          const order = run.order ?? inOrder(run.data.inputs[0].shape[0]);
          const started = performance.now();
          const { inputs, targets, sampleWeights } = run.data;
          const flat = await awaitNative(() => engine.trainBatches(handles(inputs), handles(targets), order, run.batchSize, run.first, run.count, rates, sampleWeights?.handle));
          const elapsed = performance.now() - started;
          optimizer.iterations += run.count;
          running.add(flat);
          // Size the next native run to about TARGET_RUN_MS.
          runLength = Math.max(1, Math.min(MAX_RUN_BATCHES, Math.round((run.count * TARGET_RUN_MS) / Math.max(elapsed, 1e-3))));
          logs = running.logs();
        }
        if (batchHooks) await list.call('onTrainBatchEnd', done - 1, logs);
        progbar?.progress(done, logs);
        // As Keras: stopTraining set by a batch hook ends the epoch here (onEpochEnd still runs).
        if (this.stopTraining) break;
      }
      if (epochIterator.batchesDone === 0) {
        const hint =
          sourceKind === 'generator' ? ' (a generator is one pass over its batches: give `stepsPerEpoch`, or use kiln.data.Dataset.fromGenerator(() => ...), which starts it again each epoch)' : '';
        throw new ValueError(`fit: the ${sourceKind} yielded no batches in epoch ${epoch + 1}${hint}`);
      }
      if (steps === undefined) {
        // Learned from the first pass, as Keras does, for the next epochs' progress bars.
        steps = epochIterator.batchesDone;
        for (const cb of all) cb.setParams({ epochs, steps, verbose });
      }
      // A custom step's logs are its own (the last batch's), as Keras keeps them.
      const epochLogs = custom.train ? { ...stepLogs } : running.logs();
      if (validationIterator && shouldValidate(epoch, o.validationFreq)) {
        Object.assign(epochLogs, await this.evaluationLoop(validationIterator, 'val_', list, undefined, custom.test));
      }
      await list.call('onEpochEnd', epoch, epochLogs);
      if (activeJob()) this.stopTraining = await anyRankStops(this.stopTraining);
    }
    await list.call('onTrainEnd');
    return history;
  }

  /** Loss and metrics over one pass of `iterator` (its `steps` from the first); callbacks get Keras' test hooks (batch ones per native run). */
  private async evaluationLoop(iterator: EpochIterator, prefix: string, callbacks: CallbackList, bar?: Progbar, customStep = false): Promise<Logs> {
    const running = new RunningLogs(this.compiled!);
    let stepLogs: Logs = {};
    const current = () => (customStep ? stepLogs : running.logs());
    const total = iterator.numBatches;
    // Arrays are evaluated in about ten native calls, so a progress bar moves; a custom testStep sees one batch per call.
    const perRun = total === undefined || customStep ? 1 : Math.max(1, Math.ceil(total / 10));
    await callbacks.call('onTestBegin');
    await iterator.startEpoch();
    for (;;) {
      const run = await iterator.nextRun(perRun);
      if (!run) break;
      if (run.order) throw new RuntimeError('internal: evaluation runs over data in order');
      const done = iterator.batchesDone;
      await callbacks.call('onTestBatchBegin', done - run.count);
      if (customStep) {
        stepLogs = checkStepLogs('testStep', await this.testStep(stepBatch(run)));
      } else {
        const engine = this.getEngine();
        const { inputs, targets, sampleWeights } = run.data;
        running.add(await awaitNative(() => engine.evaluateBatches(handles(inputs), handles(targets), run.batchSize, run.first, run.count, sampleWeights?.handle)));
      }
      bar?.update(done, withPrefix(current(), prefix), false);
      await callbacks.call('onTestBatchEnd', done - 1, current());
    }
    if (iterator.batchesDone === 0) throw new ValueError('evaluate: the dataset yielded no batches');
    await callbacks.call('onTestEnd', current());
    return withPrefix(current(), prefix);
  }

  /**
   * Returns `[loss, ...metrics]` on the given data (or a dict with `returnDict`).
   * Needs `compile()` first (a RuntimeError otherwise). An infinitely repeating dataset needs `steps`.
   * @example
   * ```ts
   * const [loss, accuracy] = await model.evaluate(xTest, yTest, { batchSize: 128, verbose: 0 });
   * ```
   */
  async evaluate(x: BatchStream, args: EvaluateArgs & { returnDict: true }): Promise<Logs>;
  async evaluate(x: BatchStream, args?: EvaluateArgs): Promise<number[]>;
  async evaluate(x: DataLike, y: DataLike, args: EvaluateArgs & { returnDict: true }): Promise<Logs>;
  async evaluate(x: DataLike, y: DataLike, args?: EvaluateArgs): Promise<number[]>;
  async evaluate(x: DataLike | BatchStream, yOrArgs?: DataLike | EvaluateArgs, maybeArgs?: EvaluateArgs): Promise<number[] | Logs> {
    const stream = isBatchStream(x);
    const o = evaluateOptions(stream ? optionsAfterStream<EvaluateArgs>(x, yOrArgs, maybeArgs) : maybeArgs);
    if (stream) {
      refuseWithStream('evaluate', x, o);
      if (o.batchSizeGiven) batchSizeWithStream('evaluate', x);
    }
    if (!this.compiled) throw new RuntimeError('You must call `compile()` before using the model for evaluation (evaluate).');
    const custom = this.customSteps().test;
    let adapter: DataAdapter;
    if (stream) {
      const dataset = asDataset(x);
      if (o.steps === undefined && dataset.cardinality() === INFINITE_CARDINALITY)
        throw new ValueError('When passing an infinitely repeating dataset to evaluate, you must specify the `steps` argument');
      adapter = new DatasetAdapter(dataset, this.batchConverter('evaluate', undefined, custom));
    } else {
      const y = yOrArgs as DataLike | undefined;
      const data = custom ? this.stepData(x, y, 'evaluate', o.sampleWeight) : this.checkData(this.trainingData(x, y, 'evaluate', o.sampleWeight));
      adapter = new ArrayDataAdapter(data, o.batchSize, false);
    }
    try {
      await adapter.start();
      const iterator = new EpochIterator(adapter, o.steps, false);
      const total = iterator.numBatches ?? 0;
      const bar = o.verbose > 0 && printsProgress() ? new Progbar(total, { verbose: o.verbose as 1 | 2 }) : undefined;
      o.callbacks.forEach((cb) => cb.setModel(this.model));
      const logs = await this.evaluationLoop(iterator, '', new CallbackList(o.callbacks), bar, custom);
      bar?.update(total, logs, true);
      if (o.returnDict) return logs;
      return this.flattenLogs(logs);
    } finally {
      await adapter.close();
    }
  }

  /**
   * The model's outputs for every sample: a Tensor, or an array of them for a model with
   * several outputs (`predict<Tensor[]>(x)`).
   * Runs in inference mode (Dropout off, BatchNormalization on its moving statistics), batch by
   * batch (batchSize default 32); needs no `compile()`. An infinitely repeating dataset needs `steps`.
   * @example
   * ```ts
   * const probabilities = await model.predict(xTest, { batchSize: 256 });
   * console.log(probabilities.shape); // [numSamples, 10]
   * ```
   */
  async predict<T extends Tensor | Tensor[] = Tensor>(x: DataLike | BatchStream, args?: PredictArgs): Promise<T> {
    const o = predictOptions(args);
    if (!isBatchStream(x) && o.callbacks.length === 0 && o.steps === undefined && o.verbose === 0) {
      // Arrays with nothing to report between batches: one native call, which batches them itself.
      const [xs] = this.prepare(x, undefined, 'predict');
      const engine = this.predictEngine();
      // Work quicker than the hop to a worker thread runs now (one sample of a small model).
      const results = (await predictNowIfQuick(engine, xs, o.batchSize)) ?? (await awaitNative(() => engine.predict(handles(xs), o.batchSize))).map((h) => new Tensor(h));
      return (results.length === 1 ? results[0] : results) as T;
    }
    let adapter: DataAdapter;
    if (isBatchStream(x)) {
      if (o.batchSizeGiven) batchSizeWithStream('predict', x);
      const dataset = asDataset(x);
      if (o.steps === undefined && dataset.cardinality() === INFINITE_CARDINALITY)
        throw new ValueError('When passing an infinitely repeating dataset to predict, you must specify the `steps` argument');
      adapter = new DatasetAdapter(dataset, this.inputConverter());
    } else {
      const [xs] = this.prepare(x, undefined, 'predict');
      adapter = new ArrayDataAdapter({ inputs: xs, targets: [] }, o.batchSize, false);
    }
    const callbacks = new CallbackList(o.callbacks);
    o.callbacks.forEach((cb) => cb.setModel(this.model));
    try {
      await adapter.start();
      const iterator = new EpochIterator(adapter, o.steps, false);
      await callbacks.call('onPredictBegin');
      await iterator.startEpoch();
      const outputs: Tensor[][] = [];
      for (;;) {
        const run = await iterator.nextRun(Infinity);
        if (!run) break;
        const engine = this.predictEngine();
        const inputs = runRows(run);
        const results = (await awaitNative(() => engine.predict(handles(inputs), run.batchSize))).map((h) => new Tensor(h));
        results.forEach((t, k) => (outputs[k] ??= []).push(t));
      }
      const steps = iterator.batchesDone;
      if (steps === 0) throw new ValueError('predict: the dataset yielded no batches');
      if (o.verbose > 0) new Progbar(steps, { verbose: o.verbose as 1 | 2 }).update(steps, {}, true);
      await callbacks.call('onPredictEnd');
      const joined = outputs.map((parts) => concatRows(parts));
      return (joined.length === 1 ? joined[0] : joined) as T;
    } finally {
      await adapter.close();
    }
  }

  /**
   * One optimizer step on one batch (all of `x`), as Keras' `train_on_batch`: resolves to
   * `[loss, ...metrics]` of that batch, or a dict with `returnDict`.
   */
  async trainOnBatch(x: DataLike, y: DataLike, args: TrainOnBatchArgs & { returnDict: true }): Promise<Logs>;
  async trainOnBatch(x: DataLike, y: DataLike, args?: TrainOnBatchArgs): Promise<number[]>;
  async trainOnBatch(x: DataLike, y: DataLike, args?: TrainOnBatchArgs): Promise<number[] | Logs> {
    checkOptionNames('trainOnBatch', args, TRAIN_ON_BATCH_OPTIONS);
    if (!this.compiled) throw new RuntimeError('You must call `compile()` before using the model for training (trainOnBatch).');
    const data = this.trainingData(x, y, 'trainOnBatch', args?.sampleWeight, args?.classWeight);
    const engine = this.getEngine();
    this.checkData(data);
    const optimizer = this.compiled.optimizer;
    const rows = data.inputs[0].shape[0];
    const rates = Float32Array.of(optimizer.learningRateAt(optimizer.iterations));
    const flat = await awaitNative(() => engine.trainBatches(handles(data.inputs), handles(data.targets), inOrder(rows), rows, 0, 1, rates, data.sampleWeights?.handle));
    optimizer.iterations += 1;
    return this.batchResult(flat, args?.returnDict);
  }

  /** Loss and metrics of one batch (all of `x`), as Keras' `test_on_batch`. */
  async testOnBatch(x: DataLike, y: DataLike, args: TestOnBatchArgs & { returnDict: true }): Promise<Logs>;
  async testOnBatch(x: DataLike, y: DataLike, args?: TestOnBatchArgs): Promise<number[]>;
  async testOnBatch(x: DataLike, y: DataLike, args?: TestOnBatchArgs): Promise<number[] | Logs> {
    checkOptionNames('testOnBatch', args, TEST_ON_BATCH_OPTIONS);
    if (!this.compiled) throw new RuntimeError('You must call `compile()` before using the model for evaluation (testOnBatch).');
    const data = this.trainingData(x, y, 'testOnBatch', args?.sampleWeight);
    const engine = this.getEngine();
    this.checkData(data);
    const rows = data.inputs[0].shape[0];
    const flat = await awaitNative(() => engine.evaluateBatches(handles(data.inputs), handles(data.targets), rows, 0, 1, data.sampleWeights?.handle));
    return this.batchResult(flat, args?.returnDict);
  }

  /**
   * The model's outputs on one batch, computed now (synchronously, in inference mode), as Keras'
   * `predict_on_batch`: small batches on this thread, with the plan for each input shape kept.
   */
  predictOnBatch<T extends Tensor | Tensor[] = Tensor>(x: DataLike): T {
    const [xs] = this.prepare(x, undefined, 'predictOnBatch');
    this.batchEngine ??= inferenceEngine(this.engineInputs, this.outputs);
    const results = predictOnBatchNow(this.batchEngine, xs);
    return (results.length === 1 ? results[0] : results) as T;
  }

  private batchResult(flat: Float64Array, returnDict: boolean | undefined): number[] | Logs {
    const running = new RunningLogs(this.compiled);
    running.add(flat);
    const logs = running.logs();
    return returnDict ? logs : this.flattenLogs(logs);
  }

  /** Logs as a list in Keras' order: loss, each output's loss and the metrics, then any other key in its order. */
  private flattenLogs(logs: Logs): number[] {
    const known = ['loss', ...logNames(this.compiled!)].filter((k) => k in logs);
    return [...known, ...Object.keys(logs).filter((k) => !known.includes(k))].map((k) => logs[k]);
  }

  /**
   * Keras' `train_step`: what `fit` does with one batch. Override it to train your own way
   * (several models, several optimizer steps); `data` is the batch as `[x, y, sampleWeight]`
   * (what the data gave), and the logs it returns are what callbacks and History see (an
   * epoch's logs are its last batch's). The default is one step of the compiled training.
   */
  trainStep(data: StepData): Logs | Promise<Logs> {
    const [x, y, sampleWeight] = data;
    return this.trainOnBatch(x, y as DataLike, { sampleWeight, returnDict: true });
  }

  /** Keras' `test_step`: what `evaluate` (and fit's validation) does with one batch; the default is the compiled loss and metrics. */
  testStep(data: StepData): Logs | Promise<Logs> {
    const [x, y, sampleWeight] = data;
    return this.testOnBatch(x, y as DataLike, { sampleWeight, returnDict: true });
  }

  /**
   * Keras' `reset_metrics`: a subclass's `metrics` (keras.io's VAE and GAN keep loss trackers
   * there, updated by their own trainStep) start each epoch empty.
   */
  private resetTrackedMetrics(): void {
    const tracked = (this as { metrics?: unknown }).metrics;
    if (Array.isArray(tracked)) for (const m of tracked) if (m instanceof Metric) m.resetState();
  }

  /** Which steps a subclass overrides: those batches go through its method one at a time. */
  private customSteps(): { train: boolean; test: boolean } {
    return { train: this.trainStep !== Trainer.prototype.trainStep, test: this.testStep !== Trainer.prototype.testStep };
  }

  /** @internal For saving: the compile arguments, the optimizer and the training engine. */
  compiledState(): { args: CompileArgs; optimizer: Optimizer; engine: () => NativeEngine } | undefined {
    const compiled = this.compiled;
    return compiled && { args: compiled.args, optimizer: compiled.optimizer, engine: () => this.getEngine() };
  }
}
