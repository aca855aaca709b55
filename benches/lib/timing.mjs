// Timing of inference calls, shared by the kiln and Node-peer inference scripts (the Python
// peers use the same rules in peers/common.py).
import { round } from './common.mjs';

const nowMs = () => performance.now();

/** The value at percentile p (0-100) of sorted numbers, nearest rank. */
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Latency of one call: `warmup` untimed calls, then `calls` calls timed one by one (the call
 * includes reading the result into JavaScript), stopping early after `maxTime` seconds once 200
 * calls are in (slow routes would otherwise take minutes). Milliseconds: p50, p99, mean.
 */
export async function latency(fn, { warmup = 200, calls = 2000, maxTime = 3 } = {}) {
  const start = nowMs();
  for (let i = 0; i < warmup && (i < 20 || nowMs() - start < maxTime * 500); i++) await fn();
  const times = [];
  const timed = nowMs();
  while (times.length < calls && (times.length < 200 || nowMs() - timed < maxTime * 1000)) {
    const t0 = nowMs();
    await fn();
    times.push(nowMs() - t0);
  }
  const sorted = times.sort((a, b) => a - b);
  return { p50_ms: round(percentile(sorted, 50), 4), p99_ms: round(percentile(sorted, 99), 4), mean_ms: round(sorted.reduce((a, b) => a + b, 0) / sorted.length, 4), calls: sorted.length };
}

/**
 * Throughput of a call on `samples` samples: `warmup` untimed calls, then calls timed one by one
 * until at least `minCalls` calls and `minTime` seconds; the median call gives samples/s.
 */
export async function throughput(fn, samples, { warmup = 2, minCalls = 5, minTime = 1, maxCalls = 1000 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  const start = nowMs();
  while (times.length < maxCalls && (times.length < minCalls || nowMs() - start < minTime * 1000)) {
    const t0 = nowMs();
    await fn();
    times.push(nowMs() - t0);
  }
  times.sort((a, b) => a - b);
  const med = percentile(times, 50);
  return { samples_per_s: round((samples * 1000) / med, 1), median_ms: round(med, 3), min_ms: round(times[0], 3), calls: times.length };
}

/** Deterministic inputs in [0, 1) (three decimals, like scaled pixels), the same in every script. */
export function fixedInputs(size, offset = 0) {
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = (((i + offset) * 2654435761) % 1000) / 1000;
  return x;
}
