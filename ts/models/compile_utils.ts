// compile()'s per-output arguments, as Keras reads them for a model with several outputs: one
// value for every output, a list in output order, or an object keyed by output layer name.
import { ValueError } from '../errors.js';
import { getLoss, type Loss, type LossFunction } from '../losses/index.js';

/** A value for every output, a list in output order, or an object keyed by output name. */
export type PerOutput<T> = T | T[] | Record<string, T>;

export type LossIdentifier = string | Loss | LossFunction;

/** Each output's loss and weight, and the names their logs take. */
export interface OutputPlan {
  losses: { output: number; loss: Loss; weight: number }[];
  /** Keras' log keys of each output's loss (several outputs only). */
  lossNames: string[];
}

const isKeyed = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** The values of a per-output argument, before the outputs are known (to check names early). */
export function perOutputValues<T>(value: PerOutput<T> | undefined): T[] {
  return value === undefined ? [] : isKeyed(value) ? (Object.values(value) as T[]) : Array.isArray(value) ? value : [value];
}

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
      throw new ValueError(
        `The model has ${k} output${k === 1 ? '' : 's'} (${outputNames.map((n) => `'${n}'`).join(', ')}) but compile() was given ${value.length} ${noun} in \`${what}\`; give one per output or an object keyed by output name`,
      );
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

const isLoss = (v: unknown) => typeof v === 'string' || typeof v === 'function' || (typeof v === 'object' && v !== null && !Array.isArray(v) && !isKeyed(v));

/** Resolves compile's `loss` and `lossWeights` against the outputs' names (metrics: compileMetrics). */
export function planOutputs(args: { loss: PerOutput<LossIdentifier>; lossWeights?: PerOutput<number> }, outputNames: string[]): OutputPlan {
  const several = outputNames.length > 1;
  const lossIds = perOutput<LossIdentifier | null>(args.loss, outputNames, 'loss', 'losses', isLoss, null);
  const missing = outputNames.filter((_, i) => lossIds[i] === null);
  if (missing.length > 0) throw new ValueError(`compile() needs a loss for every output; none was given for ${missing.map((n) => `'${n}'`).join(', ')}`);
  const weights = perOutput<number>(args.lossWeights, outputNames, 'lossWeights', 'loss weights', (v) => typeof v === 'number', 1);
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new ValueError(`lossWeights for output '${outputNames[i]}' must be a finite number, got ${String(w)}`);
  });
  const losses = lossIds.map((id, output) => ({ output, loss: getLoss(id as LossIdentifier), weight: weights[output] }));
  const lossNames = several ? outputNames.map((n) => `${n}_loss`) : [];
  return { losses, lossNames };
}
