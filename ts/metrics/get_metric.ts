// Metrics by Keras name ('precision', 'auc', 'mse', 'top_k_categorical_accuracy', ...), and how
// compile resolves 'accuracy' from the loss and the output's width, as Keras does.
import { ValueError } from '../errors.js';
import type { LossKind } from '../losses/index.js';
import { snakeCase } from '../utils/naming.js';
import { Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy } from './accuracy_metrics.js';
import { AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives } from './confusion_metrics.js';
import { F1Score, FBetaScore } from './f_score_metrics.js';
import type { Metric, MetricArgs, MetricResult } from './metric.js';
import { Mean, Sum } from './reduction_metrics.js';
import { CategoricalHinge, Hinge, SquaredHinge } from './hinge_metrics.js';
import { BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson, SparseCategoricalCrossentropy } from './probabilistic_metrics.js';
import { CosineSimilarity, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, R2Score, RootMeanSquaredError } from './regression_metrics.js';

type MetricClass = new (args?: MetricArgs) => Metric<MetricResult>;

const CLASSES: MetricClass[] = [
  Accuracy,
  BinaryAccuracy,
  CategoricalAccuracy,
  SparseCategoricalAccuracy,
  TopKCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  Precision,
  Recall,
  AUC,
  TruePositives,
  TrueNegatives,
  FalsePositives,
  FalseNegatives,
  F1Score,
  FBetaScore,
  MeanSquaredError,
  RootMeanSquaredError,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  R2Score,
  MeanSquaredLogarithmicError,
  LogCoshError,
  CosineSimilarity,
  Hinge,
  SquaredHinge,
  CategoricalHinge,
  KLDivergence,
  Poisson,
  BinaryCrossentropy,
  CategoricalCrossentropy,
  SparseCategoricalCrossentropy,
  Mean,
  Sum,
];

/** Keras' table: class names, their snake_case, and the short aliases. */
const BY_NAME = new Map<string, MetricClass>([
  ...CLASSES.map((c) => [c.name, c] as const),
  ...CLASSES.map((c) => [snakeCase(c.name), c] as const),
  ...(['mse', 'MSE'] as const).map((k) => [k, MeanSquaredError] as const),
  ...(['mae', 'MAE'] as const).map((k) => [k, MeanAbsoluteError] as const),
  ...(['mape', 'MAPE'] as const).map((k) => [k, MeanAbsolutePercentageError] as const),
  ...(['msle', 'MSLE'] as const).map((k) => [k, MeanSquaredLogarithmicError] as const),
  ...(['bce', 'BCE'] as const).map((k) => [k, BinaryCrossentropy] as const),
  ['fbeta_score', FBetaScore],
]);

function validNames(): string {
  const names = ['accuracy', 'acc', ...[...BY_NAME.keys()].filter((k) => k === snakeCase(k))];
  return [...new Set(names)].map((k) => `'${k}'`).join(', ');
}

/**
 * A new metric named by `identifier`: Keras' class names, their snake_case ('precision',
 * 'top_k_categorical_accuracy'), the aliases 'mse', 'mae', 'mape', 'msle', 'bce', or kiln's camelCase
 * ('topKCategoricalAccuracy'). The metric is named by the identifier, as Keras' compile does.
 */
export function get(identifier: string): Metric<MetricResult> {
  if (typeof identifier !== 'string') throw new ValueError(`Could not interpret metric identifier: ${String(identifier)}`);
  const Class = BY_NAME.get(identifier) ?? BY_NAME.get(snakeCase(identifier));
  if (!Class) throw new ValueError(`Unknown metric: '${identifier}'. Valid metrics: ${validNames()}`);
  // Keras keeps the user's spelling as the name; kiln's camelCase spelling becomes Keras' key.
  return new Class({ name: BY_NAME.has(identifier) ? identifier : snakeCase(identifier) });
}

/**
 * Resolves one entry of compile's `metrics` for an output of width `outputWidth` trained with
 * `loss`: 'accuracy' (or 'acc') becomes binary, sparse categorical or categorical accuracy,
 * named as given; other strings go through `get`; metric instances are used as they are.
 */
export function resolveMetric(identifier: string | Metric<MetricResult>, loss: LossKind, outputWidth: number): Metric<MetricResult> {
  if (typeof identifier === 'object' && identifier !== null && typeof (identifier as Metric<MetricResult>).spec === 'function') return identifier;
  if (typeof identifier !== 'string') throw new ValueError(`Could not interpret metric identifier: ${String(identifier)}`);
  const key = snakeCase(identifier);
  if (key !== 'accuracy' && key !== 'acc') return get(identifier);
  if (loss === 'binary_crossentropy' || outputWidth === 1) return new BinaryAccuracy({ name: identifier });
  if (loss === 'sparse_categorical_crossentropy') return new SparseCategoricalAccuracy({ name: identifier });
  return new CategoricalAccuracy({ name: identifier });
}
