// Keras' confusion-matrix metrics: true/false positives/negatives at thresholds, Precision,
// Recall and AUC. The kernels count, per threshold, the weighted predictions above it
// (positive) against targets that are not 0 (positive); the state is [tp, fp, tn, fn], each
// thresholds × labels long (labels: the classes with AUC's multiLabel, else 1).
import { ValueError } from '../errors.js';
import { divideNoNan, Metric, type MetricArgs, type MetricSpec } from './metric.js';

/** Keras' NEG_INF: the threshold used with topK, below which filtered predictions fall. */
const NEG_INF = -1e10;
/** Keras' backend.epsilon(), which widens AUC's outer thresholds. */
const EPSILON = 1e-7;

/** The four counts of a state, each a list over thresholds × labels. */
interface Counts {
  truePositives: number[];
  falsePositives: number[];
  trueNegatives: number[];
  falseNegatives: number[];
}

function splitCounts(state: Float64Array): Counts {
  const cells = state.length / 4;
  const part = (k: number) => Array.from(state.subarray(k * cells, (k + 1) * cells));
  return { truePositives: part(0), falsePositives: part(1), trueNegatives: part(2), falseNegatives: part(3) };
}

/** Keras' parse_init_thresholds: a number or list of numbers in [0, 1], or the default. */
function parseThresholds(thresholds: number | number[] | undefined | null, fallback: number, metric: string): number[] {
  if (thresholds === undefined || thresholds === null) return [fallback];
  const list = Array.isArray(thresholds) ? thresholds : [thresholds];
  if (list.length === 0) throw new ValueError(`${metric}: \`thresholds\` must not be empty`);
  for (const t of list) {
    if (typeof t !== 'number' || !(t >= 0 && t <= 1)) {
      throw new ValueError(`${metric}: threshold values must be in [0, 1]. Received: ${JSON.stringify(thresholds)}`);
    }
  }
  return list;
}

/** Keras' is_evenly_distributed_thresholds: i/(n-1) for n >= 3 (np.allclose, atol 1e-7). */
function evenlyDistributed(thresholds: number[]): boolean {
  const n = thresholds.length;
  if (n < 3) return false;
  return thresholds.every((t, i) => Math.abs(t - i / (n - 1)) <= EPSILON + 1e-5 * Math.abs(i / (n - 1)));
}

function optionalIndex(value: number | undefined | null, name: string, metric: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < (name === 'topK' ? 1 : 0)) {
    throw new ValueError(`${metric}: \`${name}\` must be ${name === 'topK' ? 'a positive' : 'a non-negative'} integer, got ${String(value)}`);
  }
  return value;
}

/** A metric built on the confusion counts at its thresholds. */
abstract class ConfusionMetric<R extends number | number[]> extends Metric<R> {
  /** @internal */
  protected abstract readonly countThresholds: number[];
  /** @internal */
  protected countOptions(): Record<string, unknown> {
    return {};
  }

  /** @internal The engine's description of it. */
  spec(): MetricSpec {
    return { kind: 'confusion', thresholds: this.countThresholds, evenly_distributed: evenlyDistributed(this.countThresholds), ...this.countOptions() };
  }

  /** One value per threshold, or the only one. */
  protected perThreshold(values: number[]): R {
    return (values.length === 1 ? values[0] : values) as R;
  }
}

/** The options of TruePositives, FalsePositives, TrueNegatives and FalseNegatives; unknown keys are refused. */
export interface ConditionCountArgs extends MetricArgs {
  /** One threshold or a list; a prediction above it is positive. Default 0.5. */
  thresholds?: number | number[];
}

type CountName = keyof Counts;

/** The weighted count of one cell of the confusion matrix (TruePositives and friends). */
abstract class ConditionCount extends ConfusionMetric<number | number[]> {
  protected static readonly ownOptions: readonly string[] = ['thresholds'];
  protected readonly countThresholds: number[];
  /** The thresholds as given (undefined: 0.5); the result has one count per threshold when a list is given. */
  readonly thresholds?: number | number[];

  protected constructor(
    args: ConditionCountArgs,
    defaultName: string,
    private readonly cell: CountName,
    metric: string,
  ) {
    super(args, defaultName, true);
    this.thresholds = args.thresholds;
    this.countThresholds = parseThresholds(args.thresholds, 0.5, metric);
  }

  /** @internal The result of an accumulated state. */
  resultFromState(state: Float64Array): number | number[] {
    return this.perThreshold(splitCounts(state)[this.cell]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.thresholds ?? null };
  }
}

/** Weighted count of positive targets predicted positive. */
export class TruePositives extends ConditionCount {
  constructor(args: ConditionCountArgs = {}) {
    super(args, 'true_positives', 'truePositives', 'TruePositives');
  }
}

/** Weighted count of negative targets predicted negative. */
export class TrueNegatives extends ConditionCount {
  constructor(args: ConditionCountArgs = {}) {
    super(args, 'true_negatives', 'trueNegatives', 'TrueNegatives');
  }
}

/** Weighted count of negative targets predicted positive. */
export class FalsePositives extends ConditionCount {
  constructor(args: ConditionCountArgs = {}) {
    super(args, 'false_positives', 'falsePositives', 'FalsePositives');
  }
}

/** Weighted count of positive targets predicted negative. */
export class FalseNegatives extends ConditionCount {
  constructor(args: ConditionCountArgs = {}) {
    super(args, 'false_negatives', 'falseNegatives', 'FalseNegatives');
  }
}

/** The options of Precision and Recall; unknown keys are refused. */
export interface PrecisionRecallArgs extends ConditionCountArgs {
  /** Count only each sample's k highest predictions (the threshold then defaults to none). */
  topK?: number;
  /** Count only this class (column) of the predictions and targets. */
  classId?: number;
}

/** Precision or Recall: tp over tp plus one other cell. */
abstract class PrecisionOrRecall extends ConfusionMetric<number | number[]> {
  protected static readonly ownOptions: readonly string[] = ['thresholds', 'topK', 'classId'];
  protected readonly countThresholds: number[];
  /** The thresholds as given (undefined: 0.5, or none with `topK`). */
  readonly thresholds?: number | number[];
  /** Only each sample's k highest predictions count, if set. */
  readonly topK?: number;
  /** The one class counted, if set. */
  readonly classId?: number;

  protected constructor(
    args: PrecisionRecallArgs,
    defaultName: string,
    private readonly missed: CountName,
    metric: string,
  ) {
    super(args, defaultName, true);
    this.thresholds = args.thresholds;
    this.topK = optionalIndex(args.topK, 'topK', metric);
    this.classId = optionalIndex(args.classId, 'classId', metric);
    this.countThresholds = parseThresholds(args.thresholds, this.topK === undefined ? 0.5 : NEG_INF, metric);
  }

  protected override countOptions(): Record<string, unknown> {
    return { top_k: this.topK ?? null, class_id: this.classId ?? null };
  }

  /** @internal The result of an accumulated state. */
  resultFromState(state: Float64Array): number | number[] {
    const counts = splitCounts(state);
    return this.perThreshold(counts.truePositives.map((tp, i) => divideNoNan(tp, tp + counts[this.missed][i])));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.thresholds ?? null, topK: this.topK ?? null, classId: this.classId ?? null };
  }
}

/** tp / (tp + fp): how many predicted positives are positive. */
export class Precision extends PrecisionOrRecall {
  constructor(args: PrecisionRecallArgs = {}) {
    super(args, 'precision', 'falsePositives', 'Precision');
  }
}

/** tp / (tp + fn): how many positives are predicted positive. */
export class Recall extends PrecisionOrRecall {
  constructor(args: PrecisionRecallArgs = {}) {
    super(args, 'recall', 'falseNegatives', 'Recall');
  }
}

/** Which curve AUC integrates: receiver operating characteristic or precision-recall. */
export type AUCCurve = 'ROC' | 'PR';
/** How AUC sums the area between thresholds (Keras' `summation_method`). */
export type AUCSummationMethod = 'interpolation' | 'minoring' | 'majoring';

/**
 * The options of AUC; unknown keys are refused, and a `curve` or `summationMethod` outside the
 * listed values is refused with a ValueError.
 */
export interface AUCArgs extends MetricArgs {
  /** Thresholds used to discretise the curve, evenly spaced in [0, 1]. Default 200. */
  numThresholds?: number;
  /** 'ROC' (default) or 'PR'. */
  curve?: AUCCurve;
  /** Default 'interpolation' (trapezoids for ROC, Davis & Goadrich's for PR). */
  summationMethod?: AUCSummationMethod;
  /** Explicit thresholds in [0, 1], instead of `numThresholds` evenly spaced ones. */
  thresholds?: number[];
  /** One curve per class, averaged (inputs [batch, classes]). Default false. */
  multiLabel?: boolean;
  /** With multiLabel: the number of classes (else taken from the first batch). */
  numLabels?: number;
  /** Each class's weight: in the average of the curves with multiLabel, else in the counts. */
  labelWeights?: number[];
  /** Predictions are logits (a sigmoid is applied first). Default false. */
  fromLogits?: boolean;
}

/** The area under the ROC or precision-recall curve, from the counts at fixed thresholds. */
export class AUC extends ConfusionMetric<number> {
  protected static readonly ownOptions: readonly string[] = ['numThresholds', 'curve', 'summationMethod', 'thresholds', 'multiLabel', 'numLabels', 'labelWeights', 'fromLogits'];
  protected readonly countThresholds: number[];
  /** The number of thresholds, the two outer ones (just beyond 0 and 1) included. */
  readonly numThresholds: number;
  /** 'ROC' or 'PR'. */
  readonly curve: AUCCurve;
  /** 'interpolation', 'minoring' or 'majoring'. */
  readonly summationMethod: AUCSummationMethod;
  /** Whether one curve per class is computed and averaged. */
  readonly multiLabel: boolean;
  /** The number of classes with multiLabel, if given. */
  readonly numLabels?: number;
  /** Each class's weight, if given. */
  readonly labelWeights?: number[];
  /** Whether predictions are logits (a sigmoid is applied first). */
  readonly fromLogits: boolean;
  private readonly initThresholds?: number[];
  private readonly evenly: boolean;

  constructor(args: AUCArgs = {}) {
    super(args, 'auc', true);
    this.curve = (args.curve ?? 'ROC').toUpperCase() as AUCCurve;
    if (this.curve !== 'ROC' && this.curve !== 'PR') {
      throw new ValueError(`AUC: invalid \`curve\` argument value "${args.curve}". Expected one of: 'ROC', 'PR'`);
    }
    this.summationMethod = (args.summationMethod ?? 'interpolation').toLowerCase() as AUCSummationMethod;
    if (!['interpolation', 'minoring', 'majoring'].includes(this.summationMethod)) {
      throw new ValueError(`AUC: invalid \`summationMethod\` argument value "${args.summationMethod}". Expected one of: 'interpolation', 'minoring', 'majoring'`);
    }
    let inner: number[];
    if (args.thresholds !== undefined && args.thresholds !== null) {
      inner = [...parseThresholds(args.thresholds, 0.5, 'AUC')].sort((a, b) => a - b);
      this.initThresholds = inner;
      this.numThresholds = inner.length + 2;
      this.evenly = evenlyDistributed([0, ...inner, 1]);
    } else {
      const n = args.numThresholds ?? 200;
      if (!Number.isInteger(n) || n <= 1) throw new ValueError(`AUC: argument \`numThresholds\` must be an integer > 1. Received: numThresholds=${String(n)}`);
      this.numThresholds = n;
      inner = Array.from({ length: n - 2 }, (_, i) => ((i + 1) * 1.0) / (n - 1));
      this.evenly = true;
    }
    this.countThresholds = [0 - EPSILON, ...inner, 1 + EPSILON];
    this.multiLabel = args.multiLabel ?? false;
    if (args.numLabels !== undefined && args.numLabels !== null && !this.multiLabel) {
      throw new ValueError('AUC: `numLabels` is needed only when `multiLabel` is true.');
    }
    this.numLabels = args.numLabels ?? undefined;
    this.labelWeights = args.labelWeights ?? undefined;
    this.fromLogits = args.fromLogits ?? false;
  }

  /** @internal The engine's description of it. */
  override spec(): MetricSpec {
    return {
      kind: 'confusion',
      thresholds: this.countThresholds,
      evenly_distributed: this.evenly,
      multi_label: this.multiLabel,
      from_logits: this.fromLogits,
      // Multi-label curves weigh labels in the average; otherwise the counts weigh classes.
      label_weights: this.multiLabel ? null : (this.labelWeights ?? null),
    };
  }

  /** With `numLabels`, the labels are known before any data: the kernels' rule at that count. */
  override stateSize(classes: number): number {
    return super.stateSize(this.multiLabel ? (this.numLabels ?? classes) : classes);
  }

  /** The thresholds the curve is evaluated at (with the outer two just beyond 0 and 1). */
  get thresholds(): number[] {
    return [...this.countThresholds];
  }

  /** @internal The result of an accumulated state. */
  resultFromState(state: Float64Array): number {
    const counts = splitCounts(state);
    const labels = counts.truePositives.length / this.numThresholds;
    const areas = Array.from({ length: labels }, (_, l) => {
      const column = (values: number[]) => Array.from({ length: this.numThresholds }, (_, t) => values[t * labels + l]);
      return this.area({
        truePositives: column(counts.truePositives),
        falsePositives: column(counts.falsePositives),
        trueNegatives: column(counts.trueNegatives),
        falseNegatives: column(counts.falseNegatives),
      });
    });
    if (!this.multiLabel) return areas[0];
    if (!this.labelWeights) return areas.reduce((a, b) => a + b, 0) / areas.length;
    const weights = this.labelWeights;
    return divideNoNan(
      areas.reduce((a, area, l) => a + area * weights[l], 0),
      weights.reduce((a, b) => a + b, 0),
    );
  }

  /** The area of one label's curve (Keras' AUC.result for one column). */
  private area(c: Counts): number {
    const n = this.numThresholds;
    if (this.curve === 'PR' && this.summationMethod === 'interpolation') return interpolatePrAuc(c, n);
    const recall = c.truePositives.map((tp, i) => divideNoNan(tp, tp + c.falseNegatives[i]));
    let x: number[];
    let y: number[];
    if (this.curve === 'ROC') {
      x = c.falsePositives.map((fp, i) => divideNoNan(fp, fp + c.trueNegatives[i]));
      y = recall;
    } else {
      x = recall;
      y = c.truePositives.map((tp, i) => divideNoNan(tp, tp + c.falsePositives[i]));
    }
    let total = 0;
    for (let i = 0; i < n - 1; i++) {
      const height = this.summationMethod === 'interpolation' ? (y[i] + y[i + 1]) / 2 : this.summationMethod === 'minoring' ? Math.min(y[i], y[i + 1]) : Math.max(y[i], y[i + 1]);
      total += (x[i] - x[i + 1]) * height;
    }
    return total;
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      numThresholds: this.numThresholds,
      curve: this.curve,
      summationMethod: this.summationMethod,
      multiLabel: this.multiLabel,
      numLabels: this.numLabels ?? null,
      labelWeights: this.labelWeights ?? null,
      fromLogits: this.fromLogits,
    };
    if (this.initThresholds) config.thresholds = [...this.initThresholds];
    return config;
  }
}

/**
 * Keras' interpolate_pr_auc (Davis & Goadrich 2006): precision varies along each interval
 * between thresholds as tp and predicted positives vary linearly.
 */
function interpolatePrAuc(c: Counts, n: number): number {
  const tp = c.truePositives;
  const p = tp.map((v, i) => v + c.falsePositives[i]);
  let total = 0;
  for (let i = 0; i < n - 1; i++) {
    const dtp = tp[i] - tp[i + 1];
    const dp = p[i] - p[i + 1];
    const slope = divideNoNan(dtp, Math.max(dp, 0));
    const intercept = tp[i + 1] - slope * p[i + 1];
    const ratio = p[i] > 0 && p[i + 1] > 0 ? divideNoNan(p[i], Math.max(p[i + 1], 0)) : 1;
    total += divideNoNan(slope * (dtp + intercept * Math.log(ratio)), Math.max(tp[i + 1] + c.falseNegatives[i + 1], 0));
  }
  return total;
}
