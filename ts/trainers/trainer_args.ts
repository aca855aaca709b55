// The options of compile, fit, evaluate, predict and the *OnBatch methods: their documented
// interfaces, the one list of names each accepts, and the checks of their numbers.
import { Callback } from '../callbacks/callback.js';
import type { Dataset } from '../data/dataset.js';
import { ValueError } from '../errors.js';
import type { MetricsArgument } from '../metrics/compiled_metrics.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import type { TensorLike } from '../tensor.js';
import { checkOptionNames, describeValue } from '../utils/options.js';
import type { LossIdentifier, PerOutput } from '../models/compile_utils.js';
import type { DataLike } from '../models/data_adapter.js';
import { checkValidationFreq, type ClassWeight, type ValidationFreq } from './fit_options.js';

/** The options of `model.compile()`; unknown keys are refused. */
export interface CompileArgs {
  /** A name ('rmsprop', 'adam', 'adamw', 'sgd', ...) or an instance. Default 'rmsprop', as Keras. */
  optimizer?: string | Optimizer;
  /**
   * A loss name ('categorical_crossentropy', 'mse', 'huber', ...) or instance
   * (`new kiln.losses.CategoricalCrossentropy({ fromLogits: true })`), a function
   * `(yTrue, yPred) => perSampleLoss` written with kiln.ops, used for every output; or one per
   * output: a list in output order or an object keyed by output layer name. Required, unless
   * the model overrides `trainStep` and computes its loss itself.
   */
  loss?: PerOutput<LossIdentifier>;
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

/** Verbosity as Keras takes it: 0 silent, 1 progress bar, 2 one line per epoch, 'auto'. */
export type Verbose = 0 | 1 | 2 | 'auto';

/** The options of `model.fit()`, with Keras' defaults; unknown keys are refused and numbers checked. */
export interface FitArgs {
  /** Default 1. */
  epochs?: number;
  /**
   * Default 32. With a kiln.data.Dataset (whose batches are already made) it applies only to
   * array `validationData`.
   */
  batchSize?: number;
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: Verbose;
  /** Fraction of the data (its end, before shuffling) held out for validation; arrays only. */
  validationSplit?: number;
  /** `[xVal, yVal]`, `[xVal, yVal, sampleWeight]`, or a kiln.data.Dataset of (x, y) or (x, y, sampleWeight) batches. */
  validationData?: [DataLike, DataLike] | [DataLike, DataLike, TensorLike] | Dataset;
  /** Reshuffle the training samples each epoch (default true); a Dataset shuffles itself (`.shuffle()`). */
  shuffle?: boolean;
  /** Callbacks called during training (kiln.callbacks.Callback instances); a History is always added. */
  callbacks?: Callback[];
  /** Epoch to start from (default 0). */
  initialEpoch?: number;
  /** Weight of each class index in the loss (`{ 0: 1, 1: 5 }`); single-output models; every data source. */
  classWeight?: ClassWeight;
  /**
   * One weight per training sample, multiplying its loss (arrays; a Dataset yields
   * (x, y, sampleWeight) batches instead, as in Keras).
   */
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
  /** Batch size for array validation data (default: batchSize). */
  validationBatchSize?: number;
}

/** The options of `model.evaluate()`; unknown keys are refused. */
export interface EvaluateArgs {
  /** Default 32 (arrays only: a Dataset's batches are already made). */
  batchSize?: number;
  /** Default 1. */
  verbose?: Verbose;
  /** Return `{ loss, accuracy, ... }` instead of `[loss, ...metrics]`. */
  returnDict?: boolean;
  /** Callbacks whose test hooks (`onTestBegin`, `onTestBatchEnd`, ...) run. */
  callbacks?: Callback[];
  /** One weight per sample, multiplying its loss (arrays; a Dataset yields (x, y, sampleWeight) batches). */
  sampleWeight?: TensorLike;
  /** Batches to evaluate, from the first (default: all). */
  steps?: number;
}

/** The options of `model.predict()`; unknown keys are refused. */
export interface PredictArgs {
  /** Default 32 (arrays only: a Dataset's batches are already made). */
  batchSize?: number;
  /** Default 0 for kiln (Keras prints a bar; pass 1 for it). */
  verbose?: Verbose;
  /** Batches to predict, from the first (default: all). */
  steps?: number;
  /** Callbacks whose `onPredictBegin` / `onPredictEnd` hooks run. */
  callbacks?: Callback[];
}

/** The options of `model.trainOnBatch()`; unknown keys are refused. */
export interface TrainOnBatchArgs {
  /** One weight per sample of the batch. */
  sampleWeight?: TensorLike;
  /** Weight of each class index (`{ 0: 1, 1: 5 }`); not with `sampleWeight`. */
  classWeight?: ClassWeight;
  /** Return `{ loss, ... }` instead of `[loss, ...metrics]`. */
  returnDict?: boolean;
}

/** The options of `model.testOnBatch()`; unknown keys are refused. */
export interface TestOnBatchArgs {
  /** One weight per sample of the batch. */
  sampleWeight?: TensorLike;
  /** Return `{ loss, ... }` instead of `[loss, ...metrics]`. */
  returnDict?: boolean;
}

// One list of each method's option names: the checks below and the refusal of unknown names read them.
export const COMPILE_OPTIONS = ['optimizer', 'loss', 'metrics', 'lossWeights'] as const satisfies readonly (keyof CompileArgs)[];
export const FIT_OPTIONS = [
  'epochs',
  'batchSize',
  'verbose',
  'validationSplit',
  'validationData',
  'shuffle',
  'callbacks',
  'initialEpoch',
  'classWeight',
  'sampleWeight',
  'stepsPerEpoch',
  'validationSteps',
  'validationFreq',
  'validationBatchSize',
] as const satisfies readonly (keyof FitArgs)[];
export const EVALUATE_OPTIONS = ['batchSize', 'verbose', 'returnDict', 'callbacks', 'sampleWeight', 'steps'] as const satisfies readonly (keyof EvaluateArgs)[];
export const PREDICT_OPTIONS = ['batchSize', 'verbose', 'steps', 'callbacks'] as const satisfies readonly (keyof PredictArgs)[];
export const TRAIN_ON_BATCH_OPTIONS = ['sampleWeight', 'classWeight', 'returnDict'] as const satisfies readonly (keyof TrainOnBatchArgs)[];
export const TEST_ON_BATCH_OPTIONS = ['sampleWeight', 'returnDict'] as const satisfies readonly (keyof TestOnBatchArgs)[];

/** A positive safe integer, or a ValueError naming the option and the value given. */
export function positiveInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    const tooLarge = Number.isInteger(value) && (value as number) > 0 ? ' (at most Number.MAX_SAFE_INTEGER)' : '';
    throw new ValueError(`${where}: \`${name}\` must be a positive integer${tooLarge}, got ${describeValue(value)}`);
  }
  return value;
}

/** An optional positive integer. */
export function optionalPositiveInteger(where: string, name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : positiveInteger(where, name, value);
}

function nonNegativeInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValueError(`${where}: \`${name}\` must be a non-negative integer, got ${describeValue(value)}`);
  }
  return value;
}

function booleanOption(where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw new ValueError(`${where}: \`${name}\` must be true or false, got ${describeValue(value)}`);
}

/** Keras' verbose: 0, 1, 2 or 'auto' (the method's own default). */
export function verbosity(where: string, value: unknown, fallback: 0 | 1 | 2): 0 | 1 | 2 {
  if (value === undefined || value === 'auto') return fallback;
  if (value !== 0 && value !== 1 && value !== 2) throw new ValueError(`${where}: \`verbose\` must be 0, 1, 2 or 'auto', got ${describeValue(value)}`);
  return value;
}

function checkCallbacks(where: string, callbacks: unknown): Callback[] {
  if (callbacks === undefined) return [];
  if (!Array.isArray(callbacks)) throw new ValueError(`${where}: \`callbacks\` must be a list of kiln.callbacks.Callback, got ${describeValue(callbacks)}`);
  callbacks.forEach((cb, i) => {
    if (!(cb instanceof Callback)) throw new ValueError(`${where}: \`callbacks[${i}]\` must be a kiln.callbacks.Callback, got ${describeValue(cb)}`);
  });
  return callbacks as Callback[];
}

/** fit's options with Keras' defaults, checked: unknown names and bad numbers are refused, naming the option. */
export function fitOptions(args: FitArgs | undefined) {
  checkOptionNames('fit', args, FIT_OPTIONS);
  const a = args ?? {};
  const where = 'fit';
  const batchSize = positiveInteger(where, 'batchSize', a.batchSize ?? 32);
  const validationSplit = a.validationSplit ?? 0;
  if (typeof validationSplit !== 'number' || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new ValueError(`${where}: \`validationSplit\` must be a number in [0, 1), got ${describeValue(validationSplit)}`);
  }
  const validationFreq = a.validationFreq ?? 1;
  checkValidationFreq(validationFreq);
  booleanOption(where, 'shuffle', a.shuffle);
  return {
    epochs: positiveInteger(where, 'epochs', a.epochs ?? 1),
    batchSize,
    batchSizeGiven: a.batchSize !== undefined,
    verbose: verbosity(where, a.verbose, 1),
    validationSplit,
    validationData: a.validationData,
    shuffle: a.shuffle ?? true,
    shuffleGiven: a.shuffle !== undefined,
    callbacks: checkCallbacks(where, a.callbacks),
    initialEpoch: nonNegativeInteger(where, 'initialEpoch', a.initialEpoch ?? 0),
    classWeight: a.classWeight,
    sampleWeight: a.sampleWeight,
    stepsPerEpoch: optionalPositiveInteger(where, 'stepsPerEpoch', a.stepsPerEpoch),
    validationSteps: optionalPositiveInteger(where, 'validationSteps', a.validationSteps),
    validationFreq,
    validationBatchSize: positiveInteger(where, 'validationBatchSize', a.validationBatchSize ?? batchSize),
    validationBatchSizeGiven: a.validationBatchSize !== undefined,
  };
}

export type FitOptions = ReturnType<typeof fitOptions>;

/** evaluate's options with Keras' defaults, checked. */
export function evaluateOptions(args: EvaluateArgs | undefined) {
  checkOptionNames('evaluate', args, EVALUATE_OPTIONS);
  const a = args ?? {};
  booleanOption('evaluate', 'returnDict', a.returnDict);
  return {
    batchSize: positiveInteger('evaluate', 'batchSize', a.batchSize ?? 32),
    batchSizeGiven: a.batchSize !== undefined,
    verbose: verbosity('evaluate', a.verbose, 1),
    returnDict: a.returnDict ?? false,
    callbacks: checkCallbacks('evaluate', a.callbacks),
    sampleWeight: a.sampleWeight,
    steps: optionalPositiveInteger('evaluate', 'steps', a.steps),
  };
}

/** predict's options with kiln's defaults, checked. */
export function predictOptions(args: PredictArgs | undefined) {
  checkOptionNames('predict', args, PREDICT_OPTIONS);
  const a = args ?? {};
  return {
    batchSize: positiveInteger('predict', 'batchSize', a.batchSize ?? 32),
    batchSizeGiven: a.batchSize !== undefined,
    verbose: verbosity('predict', a.verbose, 0),
    steps: optionalPositiveInteger('predict', 'steps', a.steps),
    callbacks: checkCallbacks('predict', a.callbacks),
  };
}

/** compile's arguments: an options object with known names and a loss. */
export function checkCompileArgs(args: CompileArgs | undefined, lossOptional = false): CompileArgs {
  checkOptionNames('compile', args, COMPILE_OPTIONS);
  if (!args || (args.loss === undefined && !lossOptional)) throw new ValueError('compile() needs a `loss`');
  return args;
}
