// The logs of a run of batches as the engine reports them, summed on the host: samples, loss,
// each output's loss, then each metric's state.
import type { Logs } from '../callbacks/callback.js';
import { type CompiledMetric, metricLogs } from '../metrics/compiled_metrics.js';

/** What the logs depend on in a compiled model. */
export interface LogLayout {
  /** Each output's loss log key after `loss` (several outputs only), in Keras' order. */
  lossNames: string[];
  metrics: CompiledMetric[];
}

/** The log keys after `loss`, in Keras' order: each output's loss, then the metrics. */
export function logNames(layout: LogLayout): string[] {
  return [...layout.lossNames, ...layout.metrics.map((m) => m.name)];
}

/** Sums of a run's per-batch numbers, read back as Keras' logs (weighted means and metric results). */
export class RunningLogs {
  private readonly sums: number[];
  private readonly lossNames: string[];
  private readonly metrics: CompiledMetric[];

  constructor(layout?: LogLayout) {
    this.lossNames = layout?.lossNames ?? [];
    this.metrics = layout?.metrics ?? [];
    this.sums = new Array(this.metrics.reduce((n, m) => n + m.stateSize, 2 + this.lossNames.length)).fill(0);
  }

  add(flat: Float64Array): void {
    const width = this.sums.length;
    for (let i = 0; i < flat.length; i++) this.sums[i % width] += flat[i];
  }

  logs(prefix = ''): Logs {
    const samples = Math.max(1, this.sums[0]);
    const out: Logs = { [`${prefix}loss`]: this.sums[1] / samples };
    // Each output's loss follows the total, as the engine's batch logs put it.
    this.lossNames.forEach((n, i) => (out[`${prefix}${n}`] = this.sums[i + 2] / samples));
    return Object.assign(out, metricLogs(this.metrics, this.sums.slice(2 + this.lossNames.length), prefix));
  }
}
