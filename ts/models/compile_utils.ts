// compile()'s per-output arguments, as Keras reads them for a model with several outputs: one
// value for every output, a list in output order, or an object keyed by output layer name.
import { ValueError } from '../errors.js';
import { getLoss, type Loss } from '../losses/index.js';
import { resolveMetric, type ResolvedMetric } from '../metrics/accuracy.js';

/** A value for every output, a list in output order, or an object keyed by output name. */
export type PerOutput<T> = T | T[] | Record<string, T>;

export type LossIdentifier = string | Loss;

/** Each output's loss, weight and metrics, and the names their logs take. */
export interface OutputPlan {
  losses: { output: number; loss: Loss; weight: number }[];
  metrics: (ResolvedMetric & { output: number })[];
  /** Keras' log keys after `loss`: each output's loss (several outputs only), then the metrics. */
  logNames: string[];
}

const isKeyed = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Spreads `value` over the outputs. `single` tells one value from a list of them (a metric
 * list is one output's value). Missing outputs get `fallback`.
 */
export function perOutput<T>(value: PerOutput<T> | undefined, outputNames: string[], what: string, noun: string, single: (v: unknown) => boolean, fallback: T): T[] {
  if (value === undefined) return outputNames.map(() => fallback);
  if (single(value)) return outputNames.map(() => value as T);
  if (Array.isArray(value)) {
    if (value.length !== outputNames.length) {
      const k = outputNames.length;
      throw new ValueError(`The model has ${k} output${k === 1 ? '' : 's'} (${outputNames.map((n) => `'${n}'`).join(', ')}) but compile() was given ${value.length} ${noun} in \`${what}\`; give one per output or an object keyed by output name`);
    }
    return value;
  }
  if (isKeyed(value)) {
    const unknown = Object.keys(value).filter((k) => !outputNames.includes(k));
    if (unknown.length > 0) {
      throw new ValueError(`In \`${what}\`, the keys ${unknown.map((k) => `'${k}'`).join(', ')} do not match any output. Expected keys: ${outputNames.map((n) => `'${n}'`).join(', ')}`);
    }
    return outputNames.map((n) => (n in value ? (value[n] as T) : fallback));
  }
  throw new ValueError(`\`${what}\` must be a value, a list with one entry per output or an object keyed by output name, got ${String(value)}`);
}

const isLoss = (v: unknown) => typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v) && !isKeyed(v));
const isMetricList = (v: unknown) => Array.isArray(v) && v.every((m) => typeof m === 'string');

/**
 * Resolves compile's `loss`, `lossWeights` and `metrics` against the outputs (their names and
 * widths). A flat metric list applies to every output.
 */
export function planOutputs(
  args: { loss: PerOutput<LossIdentifier>; lossWeights?: PerOutput<number>; metrics?: PerOutput<string | string[]> },
  outputNames: string[],
  outputWidths: number[],
): OutputPlan {
  const several = outputNames.length > 1;
  const lossIds = perOutput<LossIdentifier | null>(args.loss, outputNames, 'loss', 'losses', isLoss, null);
  const missing = outputNames.filter((_, i) => lossIds[i] === null);
  if (missing.length > 0) throw new ValueError(`compile() needs a loss for every output; none was given for ${missing.map((n) => `'${n}'`).join(', ')}`);
  const weights = perOutput<number>(args.lossWeights, outputNames, 'lossWeights', 'loss weights', (v) => typeof v === 'number', 1);
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new ValueError(`lossWeights for output '${outputNames[i]}' must be a finite number, got ${String(w)}`);
  });
  const losses = lossIds.map((id, output) => ({ output, loss: getLoss(id as LossIdentifier), weight: weights[output] }));
  const metricLists = perOutput<string | string[]>(args.metrics, outputNames, 'metrics', 'metric lists', isMetricList, []).map((m) => (Array.isArray(m) ? m : [m]));
  const metrics = metricLists.flatMap((list, output) =>
    list.map((m) => {
      const resolved = resolveMetric(m, losses[output].loss.kind, outputWidths[output]);
      // Keras prefixes per-output metrics with the output layer's name.
      return { ...resolved, name: several ? `${outputNames[output]}_${resolved.name}` : resolved.name, output };
    }),
  );
  const lossNames = several ? outputNames.map((n) => `${n}_loss`) : [];
  return { losses, metrics, logNames: [...lossNames, ...metrics.map((m) => m.name)] };
}
