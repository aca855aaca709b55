// The cross-validated search that gridSearch and randomSearch share (scikit-learn's
// BaseSearchCV around Keras models): for each candidate, build, train and score a fresh model
// on every fold, rank the candidates by mean score, and refit the best on all the data.
import { ValueError } from '../errors.js';
import { Model } from '../models/model.js';
import type { Tensor } from '../tensor.js';
import type { DataLike } from '../models/data_adapter.js';
import { toTensorList } from '../models/data_adapter.js';
import { type Fold, kFold, stratifiedKFold } from './k_fold.js';
import { describeParameters, type Params, routeParameters } from './parameter_routing.js';

/** Scores a trained model on held-out data; greater is better. */
export type ScoringFunction = (model: Model, x: Tensor[], y: Tensor[]) => number | Promise<number>;

/** Options gridSearch and randomSearch share. */
export interface SearchOptions<P extends Params> {
  /**
   * Makes a fresh compiled model from a candidate's model parameters (every parameter that is
   * not a fit() option such as `batchSize` or `epochs`, which go to fit).
   */
  build: (params: P) => Model | Promise<Model>;
  /** The input data, split into folds by rows. */
  x: DataLike;
  /** The target data, split the same way. */
  y: DataLike;
  /** Number of folds (default 5, as scikit-learn). */
  cv?: number;
  /**
   * What ranks the candidates, greater better: a name that evaluate() reports ('accuracy', a
   * metric's name), the same prefixed 'neg_' for ones where lower is better ('neg_loss',
   * 'neg_mean_squared_error'), or a function. Default: the model's first compiled metric, else
   * 'neg_loss'.
   */
  scoring?: string | ScoringFunction;
  /** Train the best candidate on all the data and return it as `bestModel` (default true). */
  refit?: boolean;
  /**
   * Stratified folds (scikit-learn's StratifiedKFold), the default when `y` holds class labels
   * (integers, or one-hot rows); plain KFold otherwise.
   */
  stratify?: boolean;
  /** 0 silent (default), 1 a line at the start, 2 a line per fit with its score and time. */
  verbose?: 0 | 1 | 2;
}

/** One candidate's scores. */
export interface CandidateResult<P extends Params> {
  /** The candidate: the build function's parameters and fit()'s (batchSize, epochs, ...). */
  params: P & Params;
  /** Mean of the fold scores. */
  meanScore: number;
  /** Standard deviation of the fold scores (population, as numpy's std). */
  stdScore: number;
  /** The score on each fold, in fold order. */
  foldScores: number[];
  /** 1 for the best mean score; ties share the smaller rank. */
  rank: number;
  /** Mean seconds to train on one fold. */
  meanFitTime: number;
}

/** What gridSearch and randomSearch return: the best candidate and every candidate's scores. */
export interface SearchResult<P extends Params> {
  /** The best candidate's parameters. */
  bestParams: P & Params;
  /** The best candidate's mean score. */
  bestScore: number;
  /** The index of the best candidate in `results`. */
  bestIndex: number;
  /** The best candidate trained on all the data (absent with `refit: false`). */
  bestModel?: Model;
  /** Every candidate, in the order tried. */
  results: CandidateResult<P>[];
  /** The scoring's name ('accuracy', 'neg_loss', or 'custom'). */
  scoring: string;
  /** The number of folds. */
  nSplits: number;
}

/** Rows `indices` of each tensor. */
function rows(tensors: Tensor[], indices: number[]): Tensor[] {
  const positions = Int32Array.from(indices);
  return tensors.map((t) => t.gather(positions));
}

/**
 * Class labels of `y` when it holds them: integers in a vector or column, or one-hot rows
 * (then their argmax). Undefined for anything else (regression targets).
 */
function classLabels(y: Tensor): number[] | undefined {
  const values = y.dataSync();
  const width = y.rank === 1 ? 1 : y.shape.slice(1).reduce((a, b) => a * b, 1);
  if (width === 1) return Array.from(values).every(Number.isInteger) ? Array.from(values) : undefined;
  if (y.rank !== 2) return undefined;
  const labels: number[] = [];
  for (let row = 0; row < y.shape[0]; row++) {
    let hot = -1;
    for (let j = 0; j < width; j++) {
      const v = values[row * width + j];
      if (v === 1 && hot < 0) hot = j;
      else if (v !== 0) return undefined;
    }
    if (hot < 0) return undefined;
    labels.push(hot);
  }
  return labels;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function populationStd(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
}

/** Builds a candidate's model, checking that build returned a compiled kiln model. */
async function buildModel<P extends Params>(build: SearchOptions<P>['build'], params: P, caller: string): Promise<Model> {
  const model = await build(params);
  if (!(model instanceof Model)) {
    throw new ValueError(`${caller}: build(${describeParameters(params)}) must return a compiled kiln Model, got ${model === null ? 'null' : typeof model}`);
  }
  return model;
}

interface Scorer {
  name: string;
  score(model: Model, x: Tensor[], y: Tensor[], batchSize: number | undefined): Promise<number>;
}

/** The scoring as a function; the default is resolved on the first model's evaluate() logs. */
function makeScorer(scoring: SearchOptions<Params>['scoring'], caller: string): Scorer {
  if (typeof scoring === 'function') return { name: 'custom', score: async (model, x, y) => Number(await scoring(model, x, y)) };
  if (scoring !== undefined && (typeof scoring !== 'string' || scoring === '')) throw new ValueError(`${caller}: scoring must be a metric name or a function, got ${String(scoring)}`);
  if (scoring === 'loss') throw new ValueError(`${caller}: scoring 'loss' would rank the worst model first (greater scores win); use 'neg_loss'`);
  const scorer: Scorer = {
    name: scoring ?? '',
    score: async (model, x, y, batchSize) => {
      const logs = await model.evaluate(x.length === 1 ? x[0] : x, y.length === 1 ? y[0] : y, { returnDict: true, verbose: 0, batchSize });
      if (scorer.name === '') scorer.name = Object.keys(logs).find((k) => k !== 'loss') ?? 'neg_loss';
      const negate = scorer.name.startsWith('neg_');
      const key = negate ? scorer.name.slice(4) : scorer.name;
      if (!(key in logs)) {
        throw new ValueError(`${caller}: scoring '${scorer.name}' is not something the model reports; evaluate() gives: ${Object.keys(logs).join(', ')} (prefix 'neg_' for lower-is-better ones)`);
      }
      return negate ? -logs[key] : logs[key];
    },
  };
  return scorer;
}

/** Runs the search over `candidates` (already expanded from a grid or sampled). */
export async function searchCV<P extends Params>(candidates: P[], options: SearchOptions<P>, caller: string): Promise<SearchResult<P>> {
  const { build, cv = 5, refit = true, verbose = 0 } = options;
  if (typeof build !== 'function') throw new ValueError(`${caller}: \`build\` must be a function that returns a compiled model, got ${typeof build}`);
  if (candidates.length === 0) throw new ValueError(`${caller}: there are no parameter combinations to try`);
  const xs = toTensorList(options.x, `${caller}: x`);
  const ys = toTensorList(options.y, `${caller}: y`);
  const n = xs[0].shape[0];
  for (const t of [...xs, ...ys]) {
    if (t.shape[0] !== n) throw new ValueError(`${caller}: x and y must have the same number of samples: x has ${n}, got ${t.shape[0]}`);
  }
  const labels = options.stratify === false ? undefined : classLabels(ys[0]);
  if (options.stratify === true && !labels)
    throw new ValueError(`${caller}: stratify needs class labels in y (integers or one-hot rows), got values of shape [${ys[0].shape.join(', ')}] that are neither`);
  const folds: Fold[] = labels ? stratifiedKFold(labels, cv) : kFold(n, cv);
  const scorer = makeScorer(options.scoring, caller);
  if (verbose >= 1) console.log(`Fitting ${folds.length} folds for each of ${candidates.length} candidates, totalling ${folds.length * candidates.length} fits`);

  const results: CandidateResult<P>[] = [];
  for (const params of candidates) {
    const { build: buildParams, fit } = routeParameters(params);
    const foldScores: number[] = [];
    const fitTimes: number[] = [];
    for (const [k, fold] of folds.entries()) {
      const model = await buildModel(build, buildParams as P, caller);
      const started = performance.now();
      const xTrain = rows(xs, fold.train);
      const yTrain = rows(ys, fold.train);
      await model.fit(xTrain.length === 1 ? xTrain[0] : xTrain, yTrain.length === 1 ? yTrain[0] : yTrain, { verbose: 0, ...fit });
      const fitTime = (performance.now() - started) / 1000;
      const score = await scorer.score(model, rows(xs, fold.test), rows(ys, fold.test), fit.batchSize);
      foldScores.push(score);
      fitTimes.push(fitTime);
      if (verbose >= 2) console.log(`[CV ${k + 1}/${folds.length}] END ${describeParameters(params)};, score=${score.toFixed(3)} total time=${fitTime.toFixed(1).padStart(6)}s`);
    }
    results.push({ params, meanScore: mean(foldScores), stdScore: populationStd(foldScores), foldScores, rank: 0, meanFitTime: mean(fitTimes) });
  }
  // As scikit-learn's rank_test_score (method 'min'); NaN scores rank last.
  const key = (r: CandidateResult<P>) => (Number.isNaN(r.meanScore) ? -Infinity : r.meanScore);
  for (const r of results) r.rank = 1 + results.filter((other) => key(other) > key(r)).length;
  const bestIndex = results.findIndex((r) => r.rank === 1);
  const best = results[bestIndex];

  let bestModel: Model | undefined;
  if (refit) {
    const { build: buildParams, fit } = routeParameters(best.params);
    bestModel = await buildModel(build, buildParams as P, caller);
    await bestModel.fit(xs.length === 1 ? xs[0] : xs, ys.length === 1 ? ys[0] : ys, { verbose: 0, ...fit });
  }
  return { bestParams: best.params, bestScore: best.meanScore, bestIndex, bestModel, results, scoring: scorer.name, nSplits: folds.length };
}
