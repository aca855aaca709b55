// Which candidate parameters go to fit() and which to the build function, as scikeras'
// KerasClassifier routes them: fit()'s own options train, everything else builds the model.
import type { FitArgs } from '../models/model.js';
import { FIT_OPTIONS } from '../trainers/trainer_args.js';

/** Parameters of a candidate: names to values. */
export type Params = Record<string, unknown>;

/** fit()'s options by name: a candidate's values for these go to fit. */
const FIT_PARAMETERS: ReadonlySet<string> = new Set(FIT_OPTIONS);

/** 'batch_size' -> 'batchSize', so grids ported from scikeras route the same way. */
const camelCase = (name: string) => name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** Splits a candidate into the build function's parameters and fit()'s options. */
export function routeParameters(params: Params): { build: Params; fit: FitArgs } {
  const build: Params = {};
  const fit: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (FIT_PARAMETERS.has(camelCase(name))) fit[camelCase(name)] = value;
    else build[name] = value;
  }
  return { build, fit: fit as FitArgs };
}

/** A candidate as scikit-learn prints it: `batchSize=32, epochs=1, optimizer=adam`. */
export function describeParameters(params: Params): string {
  return Object.keys(params)
    .sort()
    .map((name) => `${name}=${typeof params[name] === 'object' ? JSON.stringify(params[name]) : String(params[name])}`)
    .join(', ');
}
