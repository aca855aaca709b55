// The server's Prometheus metrics, in the text exposition format (version 0.0.4): requests by
// route and status, request latency and batch sizes as histograms, and the queue's length.

class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]) this.counts[i]++;
  }

  lines(name: string): string[] {
    return [...this.bounds.map((bound, i) => `${name}_bucket{le="${bound}"} ${this.counts[i]}`), `${name}_bucket{le="+Inf"} ${this.count}`, `${name}_sum ${this.sum}`, `${name}_count ${this.count}`];
  }
}

const LATENCY_BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Powers of two up to the largest batch, then the largest itself. */
function batchBounds(maxBatch: number): number[] {
  const bounds: number[] = [];
  for (let b = 1; b < maxBatch; b *= 2) bounds.push(b);
  bounds.push(maxBatch);
  return bounds;
}

export class ServerMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Histogram(LATENCY_BOUNDS);
  private readonly batches: Histogram;

  constructor(
    private readonly model: string,
    maxBatch: number,
    private readonly queuedSamples: () => number,
  ) {
    this.batches = new Histogram(batchBounds(maxBatch));
  }

  /** One finished request: its route (a fixed name, never the URL), status and duration. */
  recordRequest(route: string, status: number, seconds: number): void {
    const key = `route="${route}",code="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (route === 'predict') this.latency.observe(seconds);
  }

  recordBatch(samples: number): void {
    this.batches.observe(samples);
  }

  /** The text a Prometheus scrape reads. */
  render(): string {
    const model = `model="${this.model}"`;
    const withModel = (line: string) => line.replace(/^(\w+)(\{([^}]*)\})?/, (_, name: string, _braces, labels?: string) => `${name}{${labels ? `${model},${labels}` : model}}`);
    return [
      '# HELP kiln_serving_requests_total HTTP requests answered, by route and status code.',
      '# TYPE kiln_serving_requests_total counter',
      ...[...this.requests].map(([labels, n]) => `kiln_serving_requests_total{${model},${labels}} ${n}`),
      "# HELP kiln_serving_request_duration_seconds Time from a predict request's arrival to its reply.",
      '# TYPE kiln_serving_request_duration_seconds histogram',
      ...this.latency.lines('kiln_serving_request_duration_seconds').map(withModel),
      '# HELP kiln_serving_batch_size Samples in each batch the model ran.',
      '# TYPE kiln_serving_batch_size histogram',
      ...this.batches.lines('kiln_serving_batch_size').map(withModel),
      '# HELP kiln_serving_queued_samples Samples waiting for a batch.',
      '# TYPE kiln_serving_queued_samples gauge',
      `kiln_serving_queued_samples{${model}} ${this.queuedSamples()}`,
      '',
    ].join('\n');
  }
}
