/**
 * Hyper-parameter searches around Keras models, as scikit-learn's GridSearchCV and
 * RandomizedSearchCV: `gridSearch` and `randomSearch` with cross-validated scores, and the
 * distributions random search draws from, and scikit-learn's KFold and StratifiedKFold splits.
 * @module
 */
// The public face of kiln.wrappers: scikit-learn's hyper-parameter searches around Keras models.
export { loguniform, randint, uniform } from './distributions.js';
export { gridSearch, type GridSearchOptions, type ParamGrid } from './grid_search.js';
export { type Fold, kFold, stratifiedKFold } from './k_fold.js';
export { type Distribution, randomSearch, type RandomSearchOptions } from './random_search.js';
export type { CandidateResult, ScoringFunction, SearchOptions, SearchResult } from './search_cv.js';
