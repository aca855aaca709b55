// Keras' regression metrics: the mean errors (weighted means over samples of the error
// averaged over the last axis) and R2Score.
import { ValueError } from '../errors.js';
import { Metric, type MetricArgs, type MetricSpec } from './metric.js';
import { SampleMeanMetric } from './reduction_metrics.js';

/** Mean of (yTrue - yPred)². */
export class MeanSquaredError extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'mean_squared_error', 'mean_squared_error');
  }
}

/** Square root of the mean of (yTrue - yPred)². */
export class RootMeanSquaredError extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'root_mean_squared_error', 'mean_squared_error');
  }

  /** @internal The result of an accumulated state. */
  override resultFromState(state: Float64Array): number {
    return Math.sqrt(super.resultFromState(state));
  }
}

/** Mean of |yTrue - yPred|. */
export class MeanAbsoluteError extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'mean_absolute_error', 'mean_absolute_error');
  }
}

/** Mean of 100·|(yTrue - yPred) / yTrue| (|yTrue| at least 1e-7). */
export class MeanAbsolutePercentageError extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'mean_absolute_percentage_error', 'mean_absolute_percentage_error');
  }
}

/** Mean of (log(yPred + 1) - log(yTrue + 1))² (values below 1e-7 read as 1e-7). */
export class MeanSquaredLogarithmicError extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'mean_squared_logarithmic_error', 'mean_squared_logarithmic_error');
  }
}

/** Mean of log(cosh(yPred - yTrue)). */
export class LogCoshError extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'logcosh', 'log_cosh_error');
  }
}

/** Cosine of the angle between yTrue and yPred along the last axis, averaged over samples. */
export class CosineSimilarity extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'cosine_similarity', 'cosine_similarity');
  }
}

/** How R² scores of several output columns combine (null: one score per column). */
export type R2ClassAggregation = 'uniform_average' | 'variance_weighted_average' | null;

/** The options of R2Score; unknown keys are refused. */
export interface R2ScoreArgs extends MetricArgs {
  /**
   * How the scores of several output columns combine: 'uniform_average' (default),
   * 'variance_weighted_average', or null for one score per column.
   */
  classAggregation?: R2ClassAggregation;
  /** Independent regressors, for the adjusted R² (default 0: plain R²). */
  numRegressors?: number;
}

/**
 * The coefficient of determination, 1 - Σ(y - ŷ)² / Σ(y - ȳ)², per output column; inputs are
 * 2-D (batch, outputs). State per column: Σ w·y, Σ w·y², Σ w·(y - ŷ)², Σ w; then the count of
 * target values.
 */
export class R2Score extends Metric<number | number[]> {
  protected static readonly ownOptions: readonly string[] = ['classAggregation', 'numRegressors'];
  /** How the columns' scores combine. */
  readonly classAggregation: R2ClassAggregation;
  /** Independent regressors, for the adjusted R² (0: plain R²). */
  readonly numRegressors: number;

  constructor(args: R2ScoreArgs = {}) {
    super(args, 'r2_score');
    this.classAggregation = args.classAggregation === undefined ? 'uniform_average' : args.classAggregation;
    const valid = [null, 'uniform_average', 'variance_weighted_average'];
    if (!valid.includes(this.classAggregation)) {
      throw new ValueError(`R2Score: invalid value for \`classAggregation\`. Expected one of null, 'uniform_average', 'variance_weighted_average'. Received: ${JSON.stringify(args.classAggregation)}`);
    }
    this.numRegressors = args.numRegressors ?? 0;
    if (!Number.isInteger(this.numRegressors) || this.numRegressors < 0) {
      throw new ValueError(`R2Score: \`numRegressors\` must be an integer >= 0, got ${String(args.numRegressors)}`);
    }
  }

  /** @internal The engine's description of it. */
  spec(): MetricSpec {
    return { kind: 'r2_score' };
  }

  /** @internal The result of an accumulated state. */
  resultFromState(state: Float64Array): number | number[] {
    const columns = (state.length - 1) / 4;
    const part = (k: number) => Array.from(state.subarray(k * columns, (k + 1) * columns));
    const [sum, squaredSum, residual, count] = [0, 1, 2, 3].map(part);
    const samples = state[4 * columns];
    const totals = sum.map((s, c) => squaredSum[c] - (s * s) / count[c]);
    // As Keras: an infinite score (no variance, some error) counts as 0.
    const raw = totals.map((total, c) => {
      const score = 1 - residual[c] / total;
      return Number.isFinite(score) || Number.isNaN(score) ? score : 0;
    });
    let r2: number | number[];
    if (this.classAggregation === 'uniform_average') r2 = raw.reduce((a, b) => a + b, 0) / raw.length;
    else if (this.classAggregation === 'variance_weighted_average') {
      r2 = raw.reduce((a, score, c) => a + score * totals[c], 0) / totals.reduce((a, b) => a + b, 0);
    } else r2 = raw;
    if (this.numRegressors !== 0 && this.numRegressors <= samples - 1) {
      // Keras' adjusted R²: 1 - (1 - r2)(n - 1)/(n - p - 1), when there are enough samples.
      const adjust = (score: number) => (this.numRegressors === samples - 1 ? score : 1 - ((1 - score) * (samples - 1)) / (samples - this.numRegressors - 1));
      r2 = Array.isArray(r2) ? r2.map(adjust) : adjust(r2);
    }
    return r2;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), classAggregation: this.classAggregation, numRegressors: this.numRegressors };
  }
}
