import { ValueError } from '../errors.js';
import { Callback, type Logs } from './callback.js';
import { checkOptionNames, describeValue } from '../utils/options.js';

type EpochHook = (epoch: number, logs?: Logs) => void | Promise<void>;
type BatchHook = (batch: number, logs?: Logs) => void | Promise<void>;
type RunHook = (logs?: Logs) => void | Promise<void>;

/** The hooks a LambdaCallback runs; each is optional. */
export interface LambdaCallbackArgs {
  /** Runs at the start of each epoch. */
  onEpochBegin?: EpochHook;
  /** Runs at the end of each epoch, with its logs. */
  onEpochEnd?: EpochHook;
  /** Runs at the start of fit. */
  onTrainBegin?: RunHook;
  /** Runs at the end of fit. */
  onTrainEnd?: RunHook;
  /** Giving a train-batch hook makes fit run one batch per native call. */
  onTrainBatchBegin?: BatchHook;
  /** Runs after each training batch (fit then runs one batch per native call). */
  onTrainBatchEnd?: BatchHook;
  /** Runs at the start of evaluate and of each validation run. */
  onTestBegin?: RunHook;
  /** Runs at the end of evaluate and of each validation run. */
  onTestEnd?: RunHook;
  /** Runs before each evaluation batch. */
  onTestBatchBegin?: BatchHook;
  /** Runs after each evaluation batch. */
  onTestBatchEnd?: BatchHook;
  /** Runs at the start of predict. */
  onPredictBegin?: RunHook;
  /** Runs at the end of predict. */
  onPredictEnd?: RunHook;
}

const HOOKS: ReadonlyArray<keyof LambdaCallbackArgs> = [
  'onEpochBegin',
  'onEpochEnd',
  'onTrainBegin',
  'onTrainEnd',
  'onTrainBatchBegin',
  'onTrainBatchEnd',
  'onTestBegin',
  'onTestEnd',
  'onTestBatchBegin',
  'onTestBatchEnd',
  'onPredictBegin',
  'onPredictEnd',
];

/**
 * A callback made of the functions given: Keras' `LambdaCallback`. Only the hooks given are
 * overridden, so one without train-batch hooks leaves fit running batches in chunks.
 */
export class LambdaCallback extends Callback {
  constructor(hooks: LambdaCallbackArgs = {}) {
    super();
    checkOptionNames('LambdaCallback', hooks, HOOKS);
    for (const [name, hook] of Object.entries(hooks)) {
      if (hook === undefined) continue;
      if (typeof hook !== 'function') throw new ValueError(`LambdaCallback: \`${name}\` must be a function, got ${describeValue(hook)}`);
      Object.defineProperty(this, name, { value: hook, writable: true, configurable: true });
    }
  }
}
