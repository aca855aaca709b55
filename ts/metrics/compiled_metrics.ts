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

/** Resolves compile's `metrics` against each output; instances get a copy per extra output. */
export function compileMetrics(identifiers: (string | Metric<MetricResult>)[], outputs: MetricOutput[]): CompiledMetric[] {
  const compiled = outputs.flatMap((out, output) => {
    const classes = (out.shape[out.shape.length - 1] ?? 1) as number;
    const width = out.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
    return identifiers.map((identifier) => {
      let metric = resolveMetric(identifier, out.loss, width);
      if (output > 0 && metric === identifier) metric = metric.clone();
      const stateSize = metric.stateSize(classes);
      // Logs hold numbers: a metric with one value per threshold or class cannot be one.
      if (typeof metric.resultFromState(new Float64Array(stateSize)) !== 'number') {
        throw new ValueError(`Metric "${metric.name}" returns one value per threshold or class, but compile() needs metrics with one value for logs and History; give it a single threshold or an \`average\` (e.g. 'macro'), or use it standalone with updateState/result`);
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

/** The metric kinds that read integer labels, as sparse_categorical_crossentropy's targets are. */
const SPARSE_KINDS = new Set(['sparse_categorical_accuracy', 'sparse_top_k_categorical_accuracy']);

/** A metric reads the targets of its output's loss: integer labels or one value per prediction. */
function checkTargets(metric: Metric<MetricResult>, loss: LossKind): void {
  const sparseLoss = loss === 'sparse_categorical_crossentropy';
  if (SPARSE_KINDS.has(metric.spec().kind) === sparseLoss) return;
  const [wants, given] = sparseLoss ? ['one target value per prediction (e.g. one-hot)', 'integer class labels'] : ['integer class labels', 'one target value per prediction'];
  throw new ValueError(`Metric "${metric.name}" expects ${wants}, but the loss of its output (${loss}) takes ${given}`);
}

/** The engine's description of the metrics, in log order. */
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
