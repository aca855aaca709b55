// Keras' accuracy metrics: how often predictions match the targets, as weighted means over
// samples.
import { ValueError } from '../errors.js';
import type { MetricArgs, MetricSpec } from './metric.js';
import { SampleMeanMetric } from './reduction_metrics.js';

/** The options of BinaryAccuracy; unknown keys are refused. */
export interface BinaryAccuracyArgs extends MetricArgs {
  /** A prediction above it counts as 1. Default 0.5. */
  threshold?: number;
}

/** How often predictions equal the targets exactly, averaged over the last axis. */
export class Accuracy extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'accuracy', 'accuracy');
  }
}

/** How often (prediction > threshold) equals the 0/1 target, averaged over the last axis. */
export class BinaryAccuracy extends SampleMeanMetric {
  protected static readonly ownOptions: readonly string[] = ['threshold'];
  /** A prediction above it counts as 1. */
  readonly threshold: number;

  constructor(args: BinaryAccuracyArgs = {}) {
    super(args, 'binary_accuracy', 'binary_accuracy');
    this.threshold = args.threshold ?? 0.5;
    if (typeof this.threshold !== 'number' || !Number.isFinite(this.threshold)) {
      throw new ValueError(`BinaryAccuracy: \`threshold\` must be a number, got ${String(args.threshold)}`);
    }
  }

  /** @internal The engine's description of it. */
  override spec(): MetricSpec {
    return { kind: 'binary_accuracy', threshold: this.threshold };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), threshold: this.threshold };
  }
}

/** How often the highest prediction is the one-hot target's class. */
export class CategoricalAccuracy extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'categorical_accuracy', 'categorical_accuracy');
  }
}

/** How often the highest prediction is the integer target. */
export class SparseCategoricalAccuracy extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'sparse_categorical_accuracy', 'sparse_categorical_accuracy');
  }
}

/** The options of TopKCategoricalAccuracy and SparseTopKCategoricalAccuracy; unknown keys are refused. */
export interface TopKArgs extends MetricArgs {
  /** How many of the highest predictions may hold the target. Default 5. */
  k?: number;
}

function checkK(k: number, metric: string): number {
  if (!Number.isInteger(k) || k < 1) throw new ValueError(`${metric}: \`k\` must be a positive integer, got ${String(k)}`);
  return k;
}

/** How often the one-hot target's class is among the k highest predictions. */
export class TopKCategoricalAccuracy extends SampleMeanMetric {
  protected static readonly ownOptions: readonly string[] = ['k'];
  /** How many of the highest predictions may hold the target. */
  readonly k: number;

  constructor(args: TopKArgs = {}) {
    super(args, 'top_k_categorical_accuracy', 'top_k_categorical_accuracy');
    this.k = checkK(args.k ?? 5, 'TopKCategoricalAccuracy');
  }

  /** @internal The engine's description of it. */
  override spec(): MetricSpec {
    return { kind: 'top_k_categorical_accuracy', k: this.k };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), k: this.k };
  }
}

/** How often the integer target is among the k highest predictions. */
export class SparseTopKCategoricalAccuracy extends SampleMeanMetric {
  protected static readonly ownOptions: readonly string[] = ['k'];
  /** How many of the highest predictions may hold the target. */
  readonly k: number;

  constructor(args: TopKArgs = {}) {
    super(args, 'sparse_top_k_categorical_accuracy', 'sparse_top_k_categorical_accuracy');
    this.k = checkK(args.k ?? 5, 'SparseTopKCategoricalAccuracy');
  }

  /** @internal The engine's description of it. */
  override spec(): MetricSpec {
    return { kind: 'sparse_top_k_categorical_accuracy', k: this.k };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), k: this.k };
  }
}
