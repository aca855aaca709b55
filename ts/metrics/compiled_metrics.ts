// The metrics of a compiled model: resolved per output, described to the engine, and their
// running values read from the states the engine accumulates over a run (an epoch, an
// evaluation), as Keras' CompileMetrics does.
import { ValueError } from '../errors.js';
import type { LossKind } from '../losses/index.js';
import { resolveMetric } from './get_metric.js';
import type { Metric, MetricResult, MetricSpec } from './metric.js';

export interface CompiledMetric {
  /** The key in logs and History. */
  name: string;
  output: number;
  metric: Metric<MetricResult>;
  /** How many numbers of each batch's logs are this metric's state. */
  stateSize: number;
}

export interface MetricOutput {
  /** The output layer's name (Keras prefixes metrics of multi-output models with it). */
  name: string;
  /** The output's shape, batch axis first. */
  shape: (number | null)[];
  loss: LossKind;
}

/** A metric as compile takes it: a name or an instance. */
export type MetricIdentifier = string | Metric<MetricResult>;

/**
 * compile's `metrics`: a list for every output; for a model with several outputs, as Keras 3,
 * also a list with one entry (a metric, a list, or null) per output, or an object keyed by
 * output name.
 */
export type MetricsArgument = (MetricIdentifier | MetricIdentifier[] | null)[] | Record<string, MetricIdentifier | MetricIdentifier[] | null>;

const asList = (entry: MetricIdentifier | MetricIdentifier[] | null | undefined): MetricIdentifier[] => (entry === null || entry === undefined ? [] : Array.isArray(entry) ? entry : [entry]);

/** Each output's metrics (Keras' _build_metrics_set). */
export function metricsPerOutput(metrics: MetricsArgument | undefined, outputNames: string[]): MetricIdentifier[][] {
  const n = outputNames.length;
  if (metrics === undefined || metrics === null) return outputNames.map(() => []);
  if (typeof metrics !== 'object')
    throw new ValueError(`compile(): \`metrics\` must be a list of metrics (or, for several outputs, one entry per output or an object keyed by output name), got ${String(metrics)}`);
  const entries = Array.isArray(metrics) ? metrics : Object.values(metrics);
  if (n === 1) return [entries.flatMap(asList)];
  if (!Array.isArray(metrics)) {
    const unknown = Object.keys(metrics).filter((k) => !outputNames.includes(k));
    if (unknown.length > 0)
      throw new ValueError(`compile(): \`metrics\` names output(s) ${unknown.map((k) => `"${k}"`).join(', ')}, but the model's outputs are ${outputNames.map((k) => `"${k}"`).join(', ')}`);
    return outputNames.map((name) => asList(metrics[name]));
  }
  if (metrics.length === n) return metrics.map(asList);
  // kiln also takes one flat list for every output (Keras 2's behaviour).
  if (metrics.some((m) => Array.isArray(m) || m === null)) {
    throw new ValueError(`compile(): \`metrics\` has ${metrics.length} entries for a model with ${n} outputs; give one entry per output`);
  }
  return outputNames.map(() => metrics as MetricIdentifier[]);
}

/** Resolves compile's `metrics` against each output; an instance used again is copied. */
export function compileMetrics(metrics: MetricsArgument | undefined, outputs: MetricOutput[]): CompiledMetric[] {
  const used = new Set<Metric<MetricResult>>();
  const perOutput = metricsPerOutput(
    metrics,
    outputs.map((o) => o.name),
  );
  const compiled = outputs.flatMap((out, output) => {
    const classes = (out.shape[out.shape.length - 1] ?? 1) as number;
    const width = out.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
    return perOutput[output].map((identifier) => {
      let metric = resolveMetric(identifier, out.loss, width);
      if (used.has(metric)) metric = metric.clone();
      used.add(metric);
      const stateSize = metric.stateSize(classes);
      // Logs hold numbers: a metric with one value per threshold or class cannot be one.
      if (typeof metric.resultFromState(new Float64Array(stateSize)) !== 'number') {
        throw new ValueError(
          `Metric "${metric.name}" returns one value per threshold or class, but compile() needs metrics with one value for logs and History; give it a single threshold or an \`average\` (e.g. 'macro'), or use it standalone with updateState/result`,
        );
      }
      checkTargets(metric, out.loss);
      const name = outputs.length > 1 ? `${out.name}_${metric.name}` : metric.name;
      return { name, output, metric, stateSize };
    });
  });
  const seen = new Set<string>();
  for (const m of compiled) {
    if (seen.has(m.name)) throw new ValueError(`compile() got two metrics named "${m.name}"; give one a different \`name\``);
    seen.add(m.name);
  }
  return compiled;
}

/** Checks the names in compile's `metrics` before the model is built (unknown names fail early). */
export function checkMetricIdentifiers(metrics: MetricsArgument | undefined, loss: LossKind): void {
  const entries = metrics === undefined || metrics === null ? [] : Array.isArray(metrics) ? metrics : typeof metrics === 'object' ? Object.values(metrics) : [metrics as MetricIdentifier];
  for (const identifier of entries.flatMap(asList)) resolveMetric(identifier, loss, 2);
}

/** The metric kinds that read integer labels, as sparse_categorical_crossentropy's targets are. */
const SPARSE_KINDS = new Set<MetricSpec['kind']>(['sparse_categorical_accuracy', 'sparse_top_k_categorical_accuracy', 'sparse_categorical_crossentropy']);

/** A metric reads the targets of its output's loss: integer labels or one value per prediction. */
function checkTargets(metric: Metric<MetricResult>, loss: LossKind): void {
  const sparseLoss = loss === 'sparse_categorical_crossentropy';
  if (SPARSE_KINDS.has(metric.spec().kind) === sparseLoss) return;
  const [wants, given] = sparseLoss ? ['one target value per prediction (e.g. one-hot)', 'integer class labels'] : ['integer class labels', 'one target value per prediction'];
  throw new ValueError(`Metric "${metric.name}" expects ${wants}, but the loss of its output (${loss}) takes ${given}`);
}

/** @internal The engine's description of the metrics, in log order. */
export function engineMetricSpecs(metrics: CompiledMetric[]): (MetricSpec & { output: number })[] {
  return metrics.map((m) => ({ ...m.metric.spec(), output: m.output }));
}

/**
 * Each metric's result over the accumulated `states` (the metrics' states one after another),
 * keyed by `prefix` + name. The states are written back to the metric objects, so
 * `metric.result()` after fit or evaluate gives the last run's value, as in Keras.
 */
export function metricLogs(metrics: CompiledMetric[], states: ArrayLike<number>, prefix = ''): Record<string, number> {
  const logs: Record<string, number> = {};
  let offset = 0;
  for (const m of metrics) {
    const state = Float64Array.from({ length: m.stateSize }, (_, i) => states[offset + i]);
    offset += m.stateSize;
    m.metric.setState(state);
    logs[`${prefix}${m.name}`] = m.metric.resultFromState(state) as number;
  }
  return logs;
}
