// Weight histograms as TensorBoard's histogram summary (summary_v2._buckets) computes them:
// `bucketCount` equal-width buckets from the minimum to the maximum, rows of
// [left edge, right edge, count] as float64.

export const DEFAULT_BUCKET_COUNT = 30;

export function histogramBuckets(values: ArrayLike<number>, bucketCount = DEFAULT_BUCKET_COUNT): Float64Array {
  const rows = new Float64Array(bucketCount * 3);
  if (values.length === 0 || bucketCount <= 0) return rows;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  const range = max - min;
  if (range === 0) {
    // One distinct value: every edge at it, all the count in the last bucket.
    for (let b = 0; b < bucketCount; b++) rows.set([max, max, b === bucketCount - 1 ? values.length : 0], b * 3);
    return rows;
  }
  const width = range / bucketCount;
  const counts = new Float64Array(bucketCount);
  for (let i = 0; i < values.length; i++) counts[Math.min(Math.floor((values[i] - min) / width), bucketCount - 1)]++;
  // linspace(min, max, bucketCount + 1) with the last edge exactly max.
  const edge = (b: number) => (b === bucketCount ? max : min + (b * range) / bucketCount);
  for (let b = 0; b < bucketCount; b++) rows.set([edge(b), edge(b + 1), counts[b]], b * 3);
  return rows;
}
