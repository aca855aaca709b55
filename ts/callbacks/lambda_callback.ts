import { ValueError } from '../errors.js';
import { Callback, type Logs } from './callback.js';
import { checkOptionNames, describeValue } from '../utils/options.js';

type EpochHook = (epoch: number, logs?: Logs) => void | Promise<void>;
type BatchHook = (batch: number, logs?: Logs) => void | Promise<void>;
type RunHook = (logs?: Logs) => void | Promise<void>;

/** The hooks a LambdaCallback runs; each is optional. */
export interface LambdaCallbackArgs {
  onEpochBegin?: EpochHook;
  onEpochEnd?: EpochHook;
  onTrainBegin?: RunHook;
  onTrainEnd?: RunHook;
  /** Giving a train-batch hook makes fit run one batch per native call. */
  onTrainBatchBegin?: BatchHook;
  onTrainBatchEnd?: BatchHook;
  onTestBegin?: RunHook;
  onTestEnd?: RunHook;
  onTestBatchBegin?: BatchHook;
  onTestBatchEnd?: BatchHook;
  onPredictBegin?: RunHook;
  onPredictEnd?: RunHook;
}

const HOOKS: ReadonlyArray<keyof LambdaCallbackArgs> = [
  'onEpochBegin', 'onEpochEnd', 'onTrainBegin', 'onTrainEnd', 'onTrainBatchBegin', 'onTrainBatchEnd',
  'onTestBegin', 'onTestEnd', 'onTestBatchBegin', 'onTestBatchEnd', 'onPredictBegin', 'onPredictEnd',
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
