// scikit-learn's RandomizedSearchCV over a Keras model: nIter candidates sampled from lists
// and distributions, each cross-validated as gridSearch does.
import { ValueError } from '../errors.js';
import { mulberry32 } from '../utils/seeded_random.js';
import { parameterGrid } from './grid_search.js';
import type { Params } from './parameter_routing.js';
import { searchCV, type SearchOptions, type SearchResult } from './search_cv.js';

/** Draws a value from `random`, a uniform generator on [0, 1). */
export type Distribution = (random: () => number) => unknown;

export interface RandomSearchOptions<P extends Params> extends SearchOptions<P> {
  /** For each parameter, a list to pick from (uniformly) or a distribution to draw from. */
  paramDistributions: Record<string, readonly unknown[] | Distribution>;
  /** How many candidates to try (default 10). */
  nIter?: number;
  /** Seed of the sampling, for a repeatable search (default: a different one each call). */
  seed?: number;
}

/**
 * The candidates, as scikit-learn's ParameterSampler picks them: with lists only, nIter
 * distinct grid points (all of them when the grid is smaller, with a warning); otherwise nIter
 * independent draws, parameters in name order.
 */
export function sampleParameters(distributions: RandomSearchOptions<Params>['paramDistributions'], nIter: number, random: () => number, caller: string): Params[] {
  if (distributions === null || typeof distributions !== 'object' || Array.isArray(distributions)) {
    throw new ValueError(`${caller}: paramDistributions must be an object of parameter names to arrays or distributions, got ${distributions === null ? 'null' : typeof distributions}`);
  }
  const names = Object.keys(distributions).sort();
  for (const name of names) {
    const d = distributions[name];
    if (typeof d !== 'function' && (!Array.isArray(d) || d.length === 0)) {
      throw new ValueError(`${caller}: paramDistributions['${name}'] must be a non-empty array or a distribution function, got ${JSON.stringify(d)}`);
    }
  }
  if (names.every((name) => Array.isArray(distributions[name]))) {
    const grid = parameterGrid(distributions as Record<string, unknown[]>, caller);
    if (grid.length < nIter) {
      process.emitWarning(`The total space of parameters ${grid.length} is smaller than nIter=${nIter}. Running ${grid.length} iterations.`);
    }
    // A partial Fisher-Yates shuffle: nIter distinct grid points.
    const order = grid.map((_, i) => i);
    const count = Math.min(nIter, grid.length);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (order.length - i));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order.slice(0, count).map((i) => grid[i]);
  }
  return Array.from({ length: nIter }, () => {
    const params: Params = {};
    for (const name of names) {
      const d = distributions[name];
      params[name] = typeof d === 'function' ? d(random) : d[Math.floor(random() * d.length)];
    }
    return params;
  });
}

/**
 * Tries `nIter` candidates drawn from `paramDistributions` with k-fold cross-validation; the
 * same result as gridSearch. Distributions: `kiln.wrappers.uniform`, `loguniform`, `randint`,
 * or any `(random) => value`.
 */
export async function randomSearch<P extends Params = Params>(options: RandomSearchOptions<P>): Promise<SearchResult<P>> {
  const caller = 'randomSearch';
  if (!options || typeof options !== 'object') throw new ValueError(`${caller}: expected an options object { build, paramDistributions, x, y, ... }`);
  const { nIter = 10, seed } = options;
  if (!Number.isInteger(nIter) || nIter < 1) throw new ValueError(`${caller}: nIter must be a positive integer, got ${nIter}`);
  if (seed !== undefined && !Number.isFinite(seed)) throw new ValueError(`${caller}: seed must be a number, got ${seed}`);
  const random = mulberry32(seed ?? Math.floor(Math.random() * 2 ** 32));
  return searchCV(sampleParameters(options.paramDistributions, nIter, random, caller) as P[], options, caller);
}
