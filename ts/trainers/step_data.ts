// What an overridden trainStep / testStep receives (one batch as the user's tensors) and
// returns (logs), as Keras' train_step and test_step.
import type { Logs } from '../callbacks/callback.js';
import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { describeValue } from '../utils/options.js';
import type { BatchRun } from './data_adapters/index.js';

/** One batch as trainStep/testStep receive it, as Keras' `data`: `[x, y, sampleWeight]`, each part as given (a list for several inputs or outputs). */
export type StepData = [x: Tensor | Tensor[], y?: Tensor | Tensor[], sampleWeight?: Tensor];

/** The batch of a one-batch run as the user's tensors (rows gathered in the pass's order). */
export function stepBatch(run: BatchRun): StepData {
  const { inputs, targets, sampleWeights } = run.data;
  const rows = inputs[0].shape[0];
  const begin = run.first * run.batchSize;
  const end = Math.min(rows, begin + run.batchSize);
  const indices = run.order ? Array.from(run.order.subarray(begin, end)) : Array.from({ length: end - begin }, (_, i) => begin + i);
  const pick = begin === 0 && end === rows && !run.order ? (t: Tensor) => t : (t: Tensor) => t.gather(indices);
  const one = (ts: Tensor[]) => (ts.length === 1 ? ts[0] : ts);
  const data: StepData = [one(inputs.map(pick))];
  if (targets.length > 0 || sampleWeights) data.push(targets.length > 0 ? one(targets.map(pick)) : undefined);
  if (sampleWeights) data.push(pick(sampleWeights));
  return data;
}

/** A step's logs as callbacks read them: an object of numbers (one-value tensors become numbers). */
export function checkStepLogs(method: string, value: unknown): Logs {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Tensor) {
    throw new ValueError(`${method} must return a logs object of numbers, such as { loss: 0.25 }; it returned ${describeValue(value)}`);
  }
  const logs: Logs = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'number') logs[key] = v;
    else if (v instanceof Tensor && v.size === 1) logs[key] = v.dataSync()[0];
    else throw new ValueError(`${method} must return a logs object of numbers; its \`${key}\` is ${describeValue(v)}`);
  }
  return logs;
}
