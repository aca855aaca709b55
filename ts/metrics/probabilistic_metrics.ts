// Keras' probabilistic metrics (those that need no logits handling): weighted means over
// samples.
import type { MetricArgs } from './metric.js';
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
