// Keras' F-scores: the weighted harmonic mean of precision and recall per class, from the
// per-class counts [tp, fp, fn, support] the kernels accumulate (inputs [batch, classes]).
import { ValueError } from '../errors.js';
import { Metric, type MetricArgs, type MetricSpec } from './metric.js';

/** Keras' backend.epsilon(), which keeps the divisions finite. */
const EPSILON = 1e-7;

/** How F-scores of the classes combine: null (one per class), 'micro', 'macro' or 'weighted'. */
export type FScoreAverage = 'micro' | 'macro' | 'weighted' | null;

/** The options of F1Score; unknown keys are refused. */
export interface F1ScoreArgs extends MetricArgs {
  /**
   * null (default): one score per class; 'micro': from the counts summed over classes;
   * 'macro': the mean of the class scores; 'weighted': their mean weighted by class support.
   */
  average?: FScoreAverage;
  /**
   * A prediction above it is positive; default null: each sample's highest prediction is its
   * positive class.
   */
  threshold?: number | null;
}

/** The options of FBetaScore; unknown keys are refused. */
export interface FBetaScoreArgs extends F1ScoreArgs {
  /** How much more recall weighs than precision. Default 1. */
  beta?: number;
}

/** (1 + β²)·precision·recall / (β²·precision + recall), per class or averaged. */
export class FBetaScore extends Metric<number | number[]> {
  protected static readonly ownOptions: readonly string[] = ['average', 'threshold', 'beta'];
  /** How class scores combine (null: one score per class). */
  readonly average: FScoreAverage;
  /** How much more recall weighs than precision. */
  readonly beta: number;
  /** The positive threshold, or null (each sample's highest prediction is its class). */
  readonly threshold: number | null;

  constructor(args: FBetaScoreArgs = {}, defaultName = 'fbeta_score') {
    super(args, defaultName);
    const metric = defaultName === 'f1_score' ? 'F1Score' : 'FBetaScore';
    this.average = args.average ?? null;
    if (![null, 'micro', 'macro', 'weighted'].includes(this.average)) {
      throw new ValueError(`${metric}: invalid \`average\` argument value. Expected one of: null, 'micro', 'macro', 'weighted'. Received: average=${JSON.stringify(args.average)}`);
    }
    this.beta = args.beta ?? 1;
    if (typeof this.beta !== 'number' || !(this.beta > 0)) {
      throw new ValueError(`${metric}: invalid \`beta\` argument value. It should be > 0. Received: beta=${String(args.beta)}`);
    }
    this.threshold = args.threshold ?? null;
    if (this.threshold !== null && (typeof this.threshold !== 'number' || !(this.threshold > 0 && this.threshold <= 1))) {
      throw new ValueError(`${metric}: invalid \`threshold\` argument value. It should verify 0 < threshold <= 1. Received: threshold=${String(args.threshold)}`);
    }
  }

  /** @internal The engine's description of it. */
  spec(): MetricSpec {
    return { kind: 'f_score', threshold: this.threshold };
  }

  /** @internal The result of an accumulated state. */
  resultFromState(state: Float64Array): number | number[] {
    const classes = state.length / 4;
    let part = (k: number) => Array.from(state.subarray(k * classes, (k + 1) * classes));
    if (this.average === 'micro') {
      // Micro averaging counts over every class at once.
      const full = part;
      part = (k: number) => [full(k).reduce((a, b) => a + b, 0)];
    }
    const [tp, fp, fn, support] = [0, 1, 2, 3].map(part);
    const beta2 = this.beta * this.beta;
    const scores = tp.map((t, c) => {
      const precision = t / (t + fp[c] + EPSILON);
      const recall = t / (t + fn[c] + EPSILON);
      return ((precision * recall) / (beta2 * precision + recall + EPSILON)) * (1 + beta2);
    });
    if (this.average === 'weighted') {
      const total = support.reduce((a, b) => a + b, 0) + EPSILON;
      return scores.reduce((a, score, c) => a + (score * support[c]) / total, 0);
    }
    if (this.average !== null) return scores.reduce((a, b) => a + b, 0) / scores.length;
    return scores;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), average: this.average, beta: this.beta, threshold: this.threshold };
  }
}

/** FBetaScore with β = 1: the harmonic mean of precision and recall. */
export class F1Score extends FBetaScore {
  constructor(args: F1ScoreArgs = {}) {
    super({ ...args, beta: 1 }, 'f1_score');
  }

  override getConfig(): Record<string, unknown> {
    const { beta: _beta, ...config } = super.getConfig();
    return config;
  }
}
