// Keras' approximate-quantile summary for Discretization.adapt (summarize, merge_summaries,
// compress_summary, get_bin_boundaries), in numpy's float32 and float64 steps, so the learnt
// boundaries are Keras' to the bit.

/** Partition values and their weights (counts), sorted by value. */
export interface QuantileSummary {
  values: number[];
  weights: number[];
}

const f32 = Math.fround;

/** Every `step`-th sorted value, each standing for `step` values. */
export function summarize(data: number[], epsilon: number): QuantileSummary {
  const sorted = Float32Array.from(data).sort();
  const buckets = 1.0 / epsilon;
  const step = Math.max(sorted.length / buckets, 1);
  const stride = Math.trunc(step);
  const values: number[] = [];
  for (let i = Math.trunc(step - 1); i < sorted.length; i += stride) values.push(sorted[i]);
  return { values, weights: values.map(() => f32(step)) };
}

/** numpy.arange(0.0, 1.0, step): ceil(1 / step) values. */
function arange(step: number): number[] {
  return Array.from({ length: Math.ceil(1.0 / step) }, (_, i) => i * step);
}

/** numpy.interp of x over the increasing points (xp, fp). */
function interp(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>): number {
  const n = xp.length;
  if (x > xp[n - 1]) return fp[n - 1];
  if (x < xp[0]) return fp[0];
  let j = 0;
  let hi = n;
  // The last j with xp[j] <= x.
  while (hi - j > 1) {
    const mid = (j + hi) >> 1;
    if (xp[mid] <= x) j = mid;
    else hi = mid;
  }
  if (j === n - 1) return fp[j];
  if (x === xp[j]) return fp[j];
  const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  const result = slope * (x - xp[j]) + fp[j];
  if (Number.isNaN(result)) {
    const other = slope * (x - xp[j + 1]) + fp[j + 1];
    return Number.isNaN(other) && fp[j] === fp[j + 1] ? fp[j] : other;
  }
  return result;
}

/** Re-buckets a summary to about 1/epsilon points by interpolating cumulative weights. */
export function compressSummary(summary: QuantileSummary, epsilon: number): QuantileSummary {
  if (summary.values.length * epsilon < 1) return summary;
  const percents = arange(epsilon).map((p) => epsilon + p);
  const cumulative = new Float32Array(summary.weights.length);
  let running = 0;
  summary.weights.forEach((w, i) => (cumulative[i] = running = f32(running + w)));
  const total = cumulative[cumulative.length - 1];
  const fractions = cumulative.map((c) => f32(c / total));
  const values = percents.map((p) => interp(p, fractions, summary.values));
  const weightsAt = percents.map((p) => interp(p, fractions, cumulative));
  const weights = weightsAt.map((c, i) => c - (i === 0 ? 0 : weightsAt[i - 1]));
  return { values: values.map(f32), weights: weights.map(f32) };
}

/** Two summaries sorted together by value, then compressed. */
export function mergeSummaries(first: QuantileSummary, second: QuantileSummary, epsilon: number): QuantileSummary {
  const points = [...first.values.map((v, i) => [v, first.weights[i]]), ...second.values.map((v, i) => [v, second.weights[i]])];
  points.sort((a, b) => a[0] - b[0]);
  return compressSummary({ values: points.map((p) => p[0]), weights: points.map((p) => p[1]) }, epsilon);
}

/** The `numBins - 1` inner boundaries of a summary (Keras' get_bin_boundaries). */
export function binBoundaries(summary: QuantileSummary, numBins: number): number[] {
  return compressSummary(summary, 1.0 / numBins).values.slice(0, -1);
}
