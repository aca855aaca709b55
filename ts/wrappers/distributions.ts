// Distributions for randomSearch, named and parameterised as the scipy.stats ones that
// scikit-learn's examples pass to RandomizedSearchCV.
import { ValueError } from '../errors.js';
import type { Distribution } from './random_search.js';

/** Uniform on [loc, loc + scale] (scipy.stats.uniform). */
export function uniform(loc = 0, scale = 1): Distribution {
  if (!(scale >= 0)) throw new ValueError(`uniform: scale must be >= 0, got ${scale}`);
  return (random) => loc + scale * random();
}

/** Log-uniform on [a, b], for learning rates and the like (scipy.stats.loguniform). */
export function loguniform(a: number, b: number): Distribution {
  if (!(a > 0 && b > a)) throw new ValueError(`loguniform: needs 0 < a < b, got a=${a}, b=${b}`);
  return (random) => Math.exp(Math.log(a) + (Math.log(b) - Math.log(a)) * random());
}

/** Integers low, low + 1, ..., high - 1, equally likely (scipy.stats.randint). */
export function randint(low: number, high: number): Distribution {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new ValueError(`randint: needs integers low < high, got low=${low}, high=${high}`);
  return (random) => low + Math.floor(random() * (high - low));
}
