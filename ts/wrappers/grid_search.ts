// scikit-learn's GridSearchCV over a Keras model (scikeras' KerasClassifier in one call).
import { ValueError } from '../errors.js';
import type { Params } from './parameter_routing.js';
import { searchCV, type SearchOptions, type SearchResult } from './search_cv.js';

/** For each parameter, the values to try. */
export type ParamGrid = Record<string, readonly unknown[]>;

export interface GridSearchOptions<P extends Params> extends SearchOptions<P> {
  /** The values to try for each parameter (model parameters and fit() options alike). */
  paramGrid: ParamGrid;
}

/**
 * Every combination of the grid, in scikit-learn's ParameterGrid order: parameters sorted by
 * name, the last one changing fastest.
 */
export function parameterGrid(grid: ParamGrid, caller: string): Params[] {
  if (grid === null || typeof grid !== 'object' || Array.isArray(grid))
    throw new ValueError(`${caller}: paramGrid must be an object of parameter names to arrays of values, got ${grid === null ? 'null' : typeof grid}`);
  const names = Object.keys(grid).sort();
  for (const name of names) {
    if (!Array.isArray(grid[name]) || grid[name].length === 0) {
      throw new ValueError(`${caller}: parameter grid value for '${name}' must be a non-empty array of values to try, got ${JSON.stringify(grid[name])}`);
    }
  }
  let combinations: Params[] = [{}];
  for (const name of names) combinations = combinations.flatMap((partial) => grid[name].map((value) => ({ ...partial, [name]: value })));
  return combinations;
}

/**
 * Tries every combination of `paramGrid` with k-fold cross-validation and returns the best:
 * `bestParams`, `bestScore` (mean over folds), `bestModel` (refit on all the data) and
 * `results` (every candidate's mean, standard deviation and fold scores).
 *
 * ```ts
 * const search = await kiln.wrappers.gridSearch({
 *   build: ({ optimizer }) => { const m = makeModel(); m.compile({ optimizer, loss, metrics: ['accuracy'] }); return m; },
 *   paramGrid: { batchSize: [32, 64], epochs: [1, 2], optimizer: ['adam', 'sgd'] },
 *   x, y, cv: 3,
 * });
 * ```
 */
export async function gridSearch<P extends Params = Params>(options: GridSearchOptions<P>): Promise<SearchResult<P>> {
  const caller = 'gridSearch';
  if (!options || typeof options !== 'object') throw new ValueError(`${caller}: expected an options object { build, paramGrid, x, y, ... }`);
  return searchCV(parameterGrid(options.paramGrid, caller) as P[], options, caller);
}
