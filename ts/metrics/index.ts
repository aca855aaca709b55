/**
 * Metrics, as Keras' `keras.metrics`: stateful classes that accumulate batches (`updateState`,
 * `result`, `resetState`) and that `compile({ metrics })` takes by name or as instances; plus
 * evaluation helpers (confusion matrix, classification report).
 * @module
 */
export {
  Accuracy,
  BinaryAccuracy,
  type BinaryAccuracyArgs,
  CategoricalAccuracy,
  SparseCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  TopKCategoricalAccuracy,
  type TopKArgs,
} from './accuracy_metrics.js';
export {
  AUC,
  type AUCArgs,
  type AUCCurve,
  type AUCSummationMethod,
  type ConditionCountArgs,
  FalseNegatives,
  FalsePositives,
  Precision,
  type PrecisionRecallArgs,
  Recall,
  TrueNegatives,
  TruePositives,
} from './confusion_metrics.js';
export { F1Score, type F1ScoreArgs, FBetaScore, type FBetaScoreArgs, type FScoreAverage } from './f_score_metrics.js';
export { get, resolveMetric } from './get_metric.js';
export { CategoricalHinge, Hinge, SquaredHinge } from './hinge_metrics.js';
export { Metric, type MetricArgs, type MetricResult } from './metric.js';
export {
  BinaryCrossentropy,
  CategoricalCrossentropy,
  type CrossentropyMetricArgs,
  KLDivergence,
  Poisson,
  SparseCategoricalCrossentropy,
} from './probabilistic_metrics.js';
export { Mean, Sum } from './reduction_metrics.js';
export {
  CosineSimilarity,
  LogCoshError,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredError,
  MeanSquaredLogarithmicError,
  R2Score,
  type R2ClassAggregation,
  type R2ScoreArgs,
  RootMeanSquaredError,
} from './regression_metrics.js';
export { auc } from './evaluation/auc.js';
export { averagePrecisionScore } from './evaluation/average_precision_score.js';
export {
  classificationReport,
  type ClassificationReportDict,
  type ClassificationReportOptions,
  type ClassificationReportRow,
} from './evaluation/classification_report.js';
export { confusionMatrix } from './evaluation/confusion_matrix.js';
export type { EvaluationInput } from './evaluation/inputs.js';
export { precisionRecallCurve, type PrecisionRecallCurve, type PrecisionRecallCurveOptions } from './evaluation/precision_recall_curve.js';
export { rocAucScore } from './evaluation/roc_auc_score.js';
export { rocCurve, type RocCurve, type RocCurveOptions } from './evaluation/roc_curve.js';
