// The loss classes, one per Keras loss (keras/src/losses/losses.py), with Keras' defaults.
import { ValueError } from '../errors.js';
import { checkLabelSmoothing, Loss, type LossArgs, type LossSpec } from './loss.js';
import { describeValue } from '../utils/options.js';

/** The options of CategoricalCrossentropy and BinaryCrossentropy; unknown keys are refused. */
export interface CrossentropyArgs extends LossArgs {
  /** `yPred` holds logits (no softmax/sigmoid at the end of the model). Default false. */
  fromLogits?: boolean;
  /**
   * Squeeze the targets towards uniform: categorical `t (1 - s) + s / classes`,
   * binary `t (1 - s) + s / 2`. Default 0.
   */
  labelSmoothing?: number;
}

/** The options of SparseCategoricalCrossentropy; unknown keys are refused. */
export interface SparseCategoricalCrossentropyArgs extends LossArgs {
  /** `yPred` holds logits (no softmax at the end of the model). Default false. */
  fromLogits?: boolean;
}

/** The options of Huber; unknown keys are refused. */
export interface HuberArgs extends LossArgs {
  /** Where the loss turns from quadratic to linear. Default 1.0. */
  delta?: number;
}

/** The categorical and binary cross-entropies' shared settings. */
abstract class SmoothedCrossentropy extends Loss {
  /** Whether `yPred` holds logits. */
  readonly fromLogits: boolean;
  /** The label smoothing factor, in [0, 1]. */
  readonly labelSmoothing: number;

  protected constructor(kind: 'categorical_crossentropy' | 'binary_crossentropy', args: CrossentropyArgs, className: string) {
    super(kind, args, kind, ['fromLogits', 'labelSmoothing']);
    this.fromLogits = args.fromLogits ?? false;
    this.labelSmoothing = checkLabelSmoothing(args.labelSmoothing ?? 0, className);
  }

  /** @internal The engine's description of it. */
  spec(): LossSpec {
    return { ...super.spec(), from_logits: this.fromLogits, label_smoothing: this.labelSmoothing };
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

/** -sum(yTrue * log(yPred)) over the classes; one-hot targets. */
export class CategoricalCrossentropy extends SmoothedCrossentropy {
  constructor(args: CrossentropyArgs = {}) {
    super('categorical_crossentropy', args, 'CategoricalCrossentropy');
  }
}

/** Categorical cross-entropy against integer class labels. */
export class SparseCategoricalCrossentropy extends Loss {
  /** Whether `yPred` holds logits. */
  readonly fromLogits: boolean;

  constructor(args: SparseCategoricalCrossentropyArgs = {}) {
    super('sparse_categorical_crossentropy', args, 'sparse_categorical_crossentropy', ['fromLogits']);
    this.fromLogits = args.fromLogits ?? false;
  }

  /** @internal The engine's description of it. */
  spec(): LossSpec {
    return { ...super.spec(), from_logits: this.fromLogits };
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits };
  }
}

/** -(yTrue log(yPred) + (1 - yTrue) log(1 - yPred)), averaged over the last axis. */
export class BinaryCrossentropy extends SmoothedCrossentropy {
  constructor(args: CrossentropyArgs = {}) {
    super('binary_crossentropy', args, 'BinaryCrossentropy');
  }
}

/** mean((yTrue - yPred)²). */
export class MeanSquaredError extends Loss {
  constructor(args: LossArgs = {}) {
    super('mean_squared_error', args, 'mean_squared_error');
  }
}

/** mean(|yTrue - yPred|). */
export class MeanAbsoluteError extends Loss {
  constructor(args: LossArgs = {}) {
    super('mean_absolute_error', args, 'mean_absolute_error');
  }
}

/** 100 * mean(|(yTrue - yPred) / max(|yTrue|, 1e-7)|). */
export class MeanAbsolutePercentageError extends Loss {
  constructor(args: LossArgs = {}) {
    super('mean_absolute_percentage_error', args, 'mean_absolute_percentage_error');
  }
}

/** mean((log(max(yPred, 1e-7) + 1) - log(max(yTrue, 1e-7) + 1))²). */
export class MeanSquaredLogarithmicError extends Loss {
  constructor(args: LossArgs = {}) {
    super('mean_squared_logarithmic_error', args, 'mean_squared_logarithmic_error');
  }
}

/** Quadratic for errors up to `delta`, linear beyond: mean of 0.5 e² or delta (|e| - 0.5 delta). */
export class Huber extends Loss {
  /** Where the loss turns from quadratic to linear (positive; default 1). */
  readonly delta: number;

  constructor(args: HuberArgs = {}) {
    super('huber', args, 'huber_loss', ['delta']);
    this.delta = args.delta ?? 1.0;
    if (typeof this.delta !== 'number' || !(this.delta > 0)) throw new ValueError(`Huber: \`delta\` must be a positive number, got ${String(this.delta)}`);
  }

  /** @internal The engine's description of it. */
  spec(): LossSpec {
    return { ...super.spec(), delta: this.delta };
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), delta: this.delta };
  }
}

/** mean(log(cosh(yPred - yTrue))). */
export class LogCosh extends Loss {
  constructor(args: LossArgs = {}) {
    super('log_cosh', args, 'log_cosh');
  }
}

/** mean(max(1 - yTrue * yPred, 0)); labels -1/1 (0/1 labels are converted). */
export class Hinge extends Loss {
  constructor(args: LossArgs = {}) {
    super('hinge', args, 'hinge');
  }
}

/** mean(max(1 - yTrue * yPred, 0)²); labels -1/1 (0/1 labels are converted). */
export class SquaredHinge extends Loss {
  constructor(args: LossArgs = {}) {
    super('squared_hinge', args, 'squared_hinge');
  }
}

/** max(max((1 - yTrue) * yPred) - sum(yTrue * yPred) + 1, 0); one-hot targets. */
export class CategoricalHinge extends Loss {
  constructor(args: LossArgs = {}) {
    super('categorical_hinge', args, 'categorical_hinge');
  }
}

/** sum(yTrue * log(yTrue / yPred)), both clipped to [1e-7, 1]. */
export class KLDivergence extends Loss {
  constructor(args: LossArgs = {}) {
    super('kl_divergence', args, 'kl_divergence');
  }
}

/** mean(yPred - yTrue * log(yPred + 1e-7)). */
export class Poisson extends Loss {
  constructor(args: LossArgs = {}) {
    super('poisson', args, 'poisson');
  }
}

/**
 * -sum(l2Normalize(yTrue) * l2Normalize(yPred)) over the last axis: -1 for the same direction,
 * 0 for orthogonal vectors (or a zero vector).
 */
export class CosineSimilarity extends Loss {
  constructor(args: LossArgs & { /** Only -1 (the last axis, Keras' default) is supported. */ axis?: -1 } = {}) {
    super('cosine_similarity', args, 'cosine_similarity', ['axis']);
    if (args.axis !== undefined && args.axis !== -1) throw new ValueError(`CosineSimilarity: only axis -1 is supported, got ${describeValue(args.axis)}`);
  }
}
