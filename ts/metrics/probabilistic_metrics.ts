// Keras' probabilistic metrics: the cross-entropies, KL divergence and Poisson, as weighted
// means over samples.
import { ValueError } from '../errors.js';
import type { MetricArgs, MetricSpec } from './metric.js';
import { SampleMeanMetric } from './reduction_metrics.js';

/** Σ yTrue·log(yTrue / yPred) over the last axis (both clipped to [1e-7, 1]). */
export class KLDivergence extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'kl_divergence', 'kl_divergence');
  }
}

/** Mean of yPred - yTrue·log(yPred + 1e-7). */
export class Poisson extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'poisson', 'poisson');
  }
}

/** The options of the cross-entropy metrics; unknown keys are refused. */
export interface CrossentropyMetricArgs extends MetricArgs {
  /** yPred holds logits rather than probabilities. Default false. */
  fromLogits?: boolean;
  /** Moves the targets towards uniform by this much (in [0, 1]). Default 0. */
  labelSmoothing?: number;
}

/** Keras' checks of the cross-entropy options; returns [fromLogits, labelSmoothing]. */
function crossentropyOptions(args: CrossentropyMetricArgs, metric: string): [boolean, number] {
  const labelSmoothing = args.labelSmoothing ?? 0;
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new ValueError(`${metric}: \`labelSmoothing\` must be a number between 0 and 1, got ${String(args.labelSmoothing)}`);
  }
  return [args.fromLogits ?? false, labelSmoothing];
}

/** Binary cross-entropy, averaged over the last axis. */
export class BinaryCrossentropy extends SampleMeanMetric {
  protected static readonly ownOptions: readonly string[] = ['fromLogits', 'labelSmoothing'];
  /** Whether yPred holds logits. */
  readonly fromLogits: boolean;
  /** The label smoothing factor, in [0, 1]. */
  readonly labelSmoothing: number;

  constructor(args: CrossentropyMetricArgs = {}) {
    super(args, 'binary_crossentropy', 'binary_crossentropy');
    [this.fromLogits, this.labelSmoothing] = crossentropyOptions(args, 'BinaryCrossentropy');
  }

  /** @internal The engine's description of it. */
  override spec(): MetricSpec {
    return { kind: 'binary_crossentropy', from_logits: this.fromLogits, label_smoothing: this.labelSmoothing };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

/** Cross-entropy of one-hot (or probability) targets. */
export class CategoricalCrossentropy extends SampleMeanMetric {
  protected static readonly ownOptions: readonly string[] = ['fromLogits', 'labelSmoothing'];
  /** Whether yPred holds logits. */
  readonly fromLogits: boolean;
  /** The label smoothing factor, in [0, 1]. */
  readonly labelSmoothing: number;

  constructor(args: CrossentropyMetricArgs = {}) {
    super(args, 'categorical_crossentropy', 'categorical_crossentropy');
    [this.fromLogits, this.labelSmoothing] = crossentropyOptions(args, 'CategoricalCrossentropy');
  }

  /** @internal The engine's description of it. */
  override spec(): MetricSpec {
    return { kind: 'categorical_crossentropy', from_logits: this.fromLogits, label_smoothing: this.labelSmoothing };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

/** Cross-entropy of integer targets. */
export class SparseCategoricalCrossentropy extends SampleMeanMetric {
  protected static readonly ownOptions: readonly string[] = ['fromLogits'];
  /** Whether yPred holds logits. */
  readonly fromLogits: boolean;

  constructor(args: Omit<CrossentropyMetricArgs, 'labelSmoothing'> = {}) {
    super(args, 'sparse_categorical_crossentropy', 'sparse_categorical_crossentropy');
    this.fromLogits = args.fromLogits ?? false;
  }

  /** @internal The engine's description of it. */
  override spec(): MetricSpec {
    return { kind: 'sparse_categorical_crossentropy', from_logits: this.fromLogits };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits };
  }
}
