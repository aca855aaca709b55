// fit / evaluate / predict over a kiln.data.Dataset: each batch goes to the native engine as it
// arrives (one engine call per batch), so the data never needs to be in memory at once.
import type { NativeEngine } from '../../native.cjs';
import { Callback, CallbackList, type Logs, wantsTrainBatches } from '../callbacks/callback.js';
import { History } from '../callbacks/history.js';
import { ProgbarLogger } from '../callbacks/progbar_logger.js';
import { Dataset } from '../data/dataset.js';
import { type Element, typedArrayFor } from '../data/element.js';
import { RuntimeError, ValueError } from '../errors.js';
import { awaitNative, callNative } from '../native.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { Tensor, tensor } from '../tensor.js';
import { Progbar } from '../utils/progbar.js';
import type { DataLike } from './data_adapter.js';
import type { Model } from './model.js';

/** The parts of a Model the runner drives (Model.batchAccess()). */
export interface ModelBatchAccess {
  prepare(x: DataLike, y: DataLike | undefined, what: string): [Tensor[], Tensor[]];
  engine(): NativeEngine;
  predictEngine(): NativeEngine;
  optimizer(): Optimizer | undefined;
  metricNames(): string[];
  inputCount(): number;
  verbosity(verbose: unknown, fallback: 0 | 1 | 2): 0 | 1 | 2;
  newLogs(): { add(flat: Float64Array): void; logs(prefix?: string): Logs };
}


export interface DatasetFitArgs {
  epochs?: number;
  verbose?: 0 | 1 | 2 | 'auto';
  callbacks?: Callback[];
  initialEpoch?: number;
  /** Batches per epoch; the dataset's iterator then carries on across epochs, as Keras. */
  stepsPerEpoch?: number;
  validationData?: Dataset | [DataLike, DataLike];
  /** Batches of a validation Dataset to evaluate each epoch (default: all). */
  validationSteps?: number;
  batchSize?: number;
  validationSplit?: number;
  shuffle?: boolean;
}

export interface DatasetEvaluateArgs {
  verbose?: 0 | 1 | 2 | 'auto';
  returnDict?: boolean;
  callbacks?: Callback[];
  /** Batches to evaluate (default: all). */
  steps?: number;
  batchSize?: number;
}

export interface DatasetPredictArgs {
  verbose?: 0 | 1 | 2 | 'auto';
  /** Batches to predict (default: all). */
  steps?: number;
  batchSize?: number;
}

/** Whether fit/evaluate's second argument is options rather than targets. */
export function isOptions(value: unknown): boolean {
  return value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value) && !(value instanceof Tensor));
}

/** `fit(dataset, args)` puts the options second; `y` itself is refused, as Keras does. */
function optionsAfterDataset<T>(y: unknown, args: T | undefined): T {
  if (!isOptions(y)) {
    throw new ValueError('When providing `x` as a kiln.data.Dataset, `y` should not be passed. Instead, the targets should be included as part of the kiln.data.Dataset.');
  }
  return ((y as T | undefined) ?? args ?? {}) as T;
}

function optionalPositive(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value <= 0)) throw new ValueError(`\`${name}\` must be a positive integer, got ${value}`);
  return value;
}

/** Splits a batch into model inputs and targets: `x`, `[x]`, `[x, y]`; x may be a tuple. */
function splitBatch(batch: Element, index: number, what: string, inputCount: number, needsTargets: boolean): [DataLike, DataLike | undefined] {
  if (batch instanceof Tensor) {
    if (needsTargets) throw new ValueError(`${what}: the dataset must yield (x, y) batches, but batch ${index} is a single tensor (shape [${batch.shape.join(', ')}])`);
    return [batch, undefined];
  }
  // A tuple of plain tensors with one per model input is the inputs alone (predict on multi-input models).
  if (!needsTargets && inputCount > 1 && batch.length === inputCount && batch.every((part) => part instanceof Tensor)) {
    return [batch as Tensor[], undefined];
  }
  if (batch.length === 3) throw new ValueError(`${what}: batch ${index} has 3 components (x, y, sampleWeight); sample weights are not supported yet`);
  if (batch.length > 3 || (needsTargets && batch.length < 2)) {
    throw new ValueError(`${what}: the dataset must yield (x, y) batches, but batch ${index} has ${batch.length} component(s)`);
  }
  const asData = (part: Element): DataLike => (part instanceof Tensor ? part : (part as Element[]).map((p, k) => {
    if (!(p instanceof Tensor)) throw new ValueError(`${what}: batch ${index}: component ${k} is nested too deeply`);
    return p;
  }));
  return [asData(batch[0]), batch.length > 1 ? asData(batch[1]) : undefined];
}

/** Pulls batches, keeping (with stepsPerEpoch) one iterator across epochs as Keras does. */
class BatchSource {
  private iterator?: AsyncIterator<Element>;
  constructor(private readonly dataset: Dataset, private readonly keepAcrossEpochs: boolean) {}

  startEpoch(): void {
    if (!this.keepAcrossEpochs || !this.iterator) this.iterator = this.dataset[Symbol.asyncIterator]();
  }

  async next(): Promise<Element | undefined> {
    const result = await this.iterator!.next();
    if (result.done) {
      this.iterator = undefined;
      return undefined;
    }
    return result.value;
  }

  async close(): Promise<void> {
    await this.iterator?.return?.();
    this.iterator = undefined;
  }
}

function ranOutWarning(): void {
  process.emitWarning('Your input ran out of data; interrupting training. Make sure that your dataset or generator can generate at least `stepsPerEpoch * epochs` batches. You may need to use the `.repeat()` function when building your dataset.');
}

/** The steps a progress bar expects: stepsPerEpoch, else the dataset's cardinality when known. */
function expectedSteps(dataset: Dataset, steps: number | undefined): number | undefined {
  if (steps !== undefined) return steps;
  return dataset.cardinality() >= 0 ? dataset.cardinality() : undefined;
}

/** `model.fit(dataset, args)`. */
export async function fitDataset(model: Model, dataset: Dataset, y: unknown, maybeArgs?: DatasetFitArgs): Promise<History> {
  const args = optionsAfterDataset<DatasetFitArgs>(y, maybeArgs);
  const access = model.batchAccess();
  const { epochs = 1, callbacks = [], initialEpoch = 0, validationData } = args;
  const verbose = access.verbosity(args.verbose, 1);
  if (!Number.isInteger(epochs) || epochs <= 0) throw new ValueError(`\`epochs\` must be a positive integer, got ${epochs}`);
  const stepsPerEpoch = optionalPositive(args.stepsPerEpoch, 'stepsPerEpoch');
  const validationSteps = optionalPositive(args.validationSteps, 'validationSteps');
  if (args.validationSplit) throw new ValueError('`validationSplit` is only supported for tensors or typed arrays, not for a kiln.data.Dataset; pass `validationData` instead');
  if (stepsPerEpoch === undefined && dataset.cardinality() === -1) {
    throw new ValueError('When passing an infinitely repeating dataset, you must specify the `stepsPerEpoch` argument');
  }
  const optimizer = access.optimizer();
  if (!optimizer) throw new RuntimeError('You must call `compile()` before using the model for training (fit).');
  const validation = validationData === undefined ? undefined
    : validationData instanceof Dataset ? validationData : Dataset.fromTensors(validationPair(validationData)).batch(args.batchSize ?? 32);

  let steps = expectedSteps(dataset, stepsPerEpoch);
  const history = new History();
  const progbar = verbose > 0 ? new ProgbarLogger(verbose as 1 | 2) : undefined;
  const all = [...callbacks, ...(progbar ? [progbar] : []), history];
  const list = new CallbackList(all);
  const batchHooks = callbacks.some(wantsTrainBatches);
  for (const cb of all) {
    cb.setModel(model);
    cb.setParams({ epochs, steps: steps ?? 0, verbose });
  }
  const source = new BatchSource(dataset, stepsPerEpoch !== undefined);
  model.stopTraining = false;
  try {
    await list.call('onTrainBegin');
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      await list.call('onEpochBegin', epoch);
      source.startEpoch();
      const running = access.newLogs();
      let done = 0;
      while (stepsPerEpoch === undefined || done < stepsPerEpoch) {
        const batch = await source.next();
        if (batch === undefined) {
          if (stepsPerEpoch !== undefined) ranOutWarning();
          break;
        }
        const [xs, ys] = access.prepare(...splitBatch(batch, done, 'fit', access.inputCount(), true), 'fit');
        const engine = access.engine();
        const handles = (ts: Tensor[]) => ts.map((t) => t.handle);
        callNative(() => engine.checkData(handles(xs), handles(ys)));
        if (batchHooks) await list.call('onTrainBatchBegin', done);
        const rows = xs[0].shape[0];
        const order = Uint32Array.from({ length: rows }, (_, i) => i);
        const rates = Float32Array.of(optimizer.learningRateAt(optimizer.iterations));
        running.add(await awaitNative(() => engine.trainBatches(handles(xs), handles(ys), order, rows, 0, 1, rates)));
        optimizer.iterations += 1;
        done++;
        const logs = running.logs();
        if (batchHooks) await list.call('onTrainBatchEnd', done - 1, logs);
        progbar?.progress(done, logs);
        if (model.stopTraining) break;
      }
      if (done === 0) throw new ValueError(`fit: the dataset yielded no batches in epoch ${epoch + 1}`);
      if (steps === undefined) {
        // Learned from the first pass, as Keras does, for the next epochs' progress bars.
        steps = done;
        for (const cb of all) cb.setParams({ epochs, steps, verbose });
      }
      const epochLogs = running.logs();
      if (validation) Object.assign(epochLogs, await evaluateLogs(model, validation, 'val_', validationSteps, list));
      await list.call('onEpochEnd', epoch, epochLogs);
    }
    await list.call('onTrainEnd');
  } finally {
    await source.close();
  }
  return history;
}

function validationPair(data: [DataLike, DataLike]): Tensor[] {
  if (!Array.isArray(data) || data.length !== 2) throw new ValueError('`validationData` must be a kiln.data.Dataset or a pair [xVal, yVal]');
  const [x, y] = data;
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) {
    throw new ValueError('With a kiln.data.Dataset for training, array `validationData` must be a pair of tensors [xVal, yVal]');
  }
  return [x, y];
}

/** Loss and metrics over a dataset's batches (`prefix` 'val_' during fit). */
async function evaluateLogs(model: Model, dataset: Dataset, prefix: string, steps: number | undefined, callbacks: CallbackList, bar?: Progbar): Promise<Logs> {
  const access = model.batchAccess();
  const running = access.newLogs();
  await callbacks.call('onTestBegin');
  let index = 0;
  for await (const batch of steps === undefined ? dataset : dataset.take(steps)) {
    const [xs, ys] = access.prepare(...splitBatch(batch, index, 'evaluate', access.inputCount(), true), 'evaluate');
    const engine = access.engine();
    const handles = (ts: Tensor[]) => ts.map((t) => t.handle);
    callNative(() => engine.checkData(handles(xs), handles(ys)));
    running.add(await awaitNative(() => engine.evaluateBatches(handles(xs), handles(ys), xs[0].shape[0], 0, 1)));
    index++;
    bar?.update(index, running.logs(prefix), false);
    await callbacks.call('onTestBatchEnd', index - 1, running.logs());
  }
  if (index === 0) throw new ValueError('evaluate: the dataset yielded no batches');
  await callbacks.call('onTestEnd', running.logs());
  return running.logs(prefix);
}

/** `model.evaluate(dataset, args)`: `[loss, ...metrics]`, or a dict with `returnDict`. */
export async function evaluateDataset(model: Model, dataset: Dataset, y: unknown, maybeArgs?: DatasetEvaluateArgs): Promise<number[] | Logs> {
  const args = optionsAfterDataset<DatasetEvaluateArgs>(y, maybeArgs);
  const access = model.batchAccess();
  if (!access.optimizer()) throw new RuntimeError('You must call `compile()` before using the model for evaluation (evaluate).');
  const verbose = access.verbosity(args.verbose, 1);
  const steps = optionalPositive(args.steps, 'steps');
  if (steps === undefined && dataset.cardinality() === -1) throw new ValueError('When passing an infinitely repeating dataset to evaluate, you must specify the `steps` argument');
  const total = expectedSteps(dataset, steps);
  const bar = verbose > 0 ? new Progbar(total ?? 0, { verbose: verbose as 1 | 2 }) : undefined;
  const callbacks = args.callbacks ?? [];
  callbacks.forEach((cb) => cb.setModel(model));
  const logs = await evaluateLogs(model, dataset, '', steps, new CallbackList(callbacks), bar);
  bar?.update(total ?? 0, logs, true);
  if (args.returnDict) return logs;
  return [logs.loss, ...access.metricNames().map((name) => logs[name])];
}

/** `model.predict(dataset, args)`: every batch's outputs, concatenated. */
export async function predictDataset(model: Model, dataset: Dataset, args: DatasetPredictArgs = {}): Promise<Tensor | Tensor[]> {
  const access = model.batchAccess();
  const verbose = access.verbosity(args.verbose, 0);
  const steps = optionalPositive(args.steps, 'steps');
  if (steps === undefined && dataset.cardinality() === -1) throw new ValueError('When passing an infinitely repeating dataset to predict, you must specify the `steps` argument');
  const outputs: Tensor[][] = [];
  let index = 0;
  for await (const batch of steps === undefined ? dataset : dataset.take(steps)) {
    const [xs] = access.prepare(splitBatch(batch, index, 'predict', access.inputCount(), false)[0], undefined, 'predict');
    const engine = access.predictEngine();
    const results = (await awaitNative(() => engine.predict(xs.map((t) => t.handle), xs[0].shape[0]))).map((h) => new Tensor(h));
    results.forEach((t, k) => (outputs[k] ??= []).push(t));
    index++;
  }
  if (index === 0) throw new ValueError('predict: the dataset yielded no batches');
  if (verbose > 0) new Progbar(index, { verbose: verbose as 1 | 2 }).update(index, {}, true);
  const joined = outputs.map((parts) => concatRows(parts));
  return joined.length === 1 ? joined[0] : joined;
}

/** Joins batches of outputs along the first axis on the host (one copy). */
function concatRows(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const rows = parts.reduce((n, t) => n + t.shape[0], 0);
  const out = typedArrayFor(parts[0].dtype, rows * (parts[0].size / parts[0].shape[0]));
  let offset = 0;
  for (const part of parts) {
    out.set(part.dataSync(), offset);
    offset += part.size;
  }
  return tensor(out, [rows, ...parts[0].shape.slice(1)], parts[0].dtype);
}
