export { resolveMetric, type AccuracyKind, type ResolvedMetric } from './accuracy.js';
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
