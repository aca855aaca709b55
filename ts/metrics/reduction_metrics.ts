// Keras' reduction metrics: Mean and Sum of values, and the base of every metric that is the
// weighted mean of a score per sample (the accuracy family, the regression errors).
import type * as schema from '../native_schema.js';
import type { TensorLike } from '../tensor.js';
import { divideNoNan, Metric, type MetricArgs, type MetricSpec } from './metric.js';

/**
 * A weighted mean of per-sample scores (Keras' MeanMetricWrapper). State: the weighted sum of
 * the scores and the sum of the weights.
 */
export abstract class SampleMeanMetric extends Metric {
  /** `kind` names the per-sample score the kernels compute (Keras' function name). */
  protected constructor(
    args: MetricArgs,
    defaultName: string,
    private readonly kind: schema.MetricKind['kind'],
    unique = false,
  ) {
    super(args, defaultName, unique);
  }

  /** @internal The engine's description of it. */
  spec(): MetricSpec {
    // A kind with required settings (top-k's `k`) is completed by its subclass.
    return { kind: this.kind } as MetricSpec;
  }

  /** @internal The result of an accumulated state. */
  resultFromState(state: Float64Array): number {
    return divideNoNan(state[0], state[1]);
  }
}

/** The (weighted) mean of the values given to `updateState(values, sampleWeight?)`. */
export class Mean extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'mean', 'mean', true);
  }

  override updateState(values: TensorLike, sampleWeight?: TensorLike): void {
    this.accumulate(undefined, values, sampleWeight);
  }
}

/** The (weighted) sum of the values given to `updateState(values, sampleWeight?)`. */
export class Sum extends Metric {
  constructor(args: MetricArgs = {}) {
    super(args, 'sum', true);
  }

  /** @internal The engine's description of it. */
  spec(): MetricSpec {
    return { kind: 'sum' };
  }

  /** @internal The result of an accumulated state. */
  resultFromState(state: Float64Array): number {
    return state[0];
  }

  override updateState(values: TensorLike, sampleWeight?: TensorLike): void {
    this.accumulate(undefined, values, sampleWeight);
  }
}
