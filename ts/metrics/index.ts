export { resolveMetric, type AccuracyKind, type ResolvedMetric } from './accuracy.js';
