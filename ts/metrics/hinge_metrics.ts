// Keras' hinge metrics, for maximum-margin classifiers: weighted means over samples. Targets of
// 0 and 1 read as -1 and 1 (when a whole batch is binary), as Keras does.
import type { MetricArgs } from './metric.js';
import { SampleMeanMetric } from './reduction_metrics.js';

/** Mean of max(1 - yTrue·yPred, 0). */
export class Hinge extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'hinge', 'hinge');
  }
}

/** Mean of max(1 - yTrue·yPred, 0)². */
export class SquaredHinge extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'squared_hinge', 'squared_hinge');
  }
}

/** max(max((1 - yTrue)·yPred) - Σ yTrue·yPred + 1, 0), for one-hot targets. */
export class CategoricalHinge extends SampleMeanMetric {
  constructor(args: MetricArgs = {}) {
    super(args, 'categorical_hinge', 'categorical_hinge');
  }
}
