// kiln-nn GEMM f32 throughput via the public API (kiln.ops.matmul), GFLOP/s.
//
// Usage: [KILN_NUM_THREADS=1] node kiln/gemm.mjs [--min-time 0.2] [--trials 5]
// The thread count is fixed by the engine when it loads, so run.mjs starts this script once with
// KILN_NUM_THREADS=1 and once without it (all cores). Shapes are those of peers/gemm_numpy.py;
// the backward products of the seed layer use a.transpose() / b.transpose() (their cost is
// included, as a user calling them would pay it). Prints one JSON line.
import os from 'node:os';
import { loadKiln } from '../lib/kiln.mjs';
import { parseArgs, emit, median, round, now } from '../lib/common.mjs';

const args = parseArgs(process.argv.slice(2), { minTime: 0.2, trials: 5 });
const kiln = await loadKiln();

// [name, m, k, n, transposeA, transposeB]: C[m,n] = op(A)[m,k] @ op(B)[k,n]
const SHAPES = [
  ['n128', 128, 128, 128, false, false],
  ['n256', 256, 256, 256, false, false],
  ['n512', 512, 512, 512, false, false],
  ['n1024', 1024, 1024, 1024, false, false],
  ['seed_fwd_32x784x128', 32, 784, 128, false, false],
  ['seed_dW_784x32x128', 784, 32, 128, true, false],
  ['seed_dX_32x128x784', 32, 128, 784, false, true],
  // the same two products with the transposed operand already stored contiguous
  ['seed_dW_pre_784x32x128', 784, 32, 128, false, false],
  ['seed_dX_pre_32x128x784', 32, 128, 784, false, false],
];

const free = (t) => {
  if (t && typeof t.dispose === 'function') t.dispose();
};

function bench(m, k, n, ta, tb) {
  const a = kiln.random.uniform(ta ? [k, m] : [m, k], 0, 1);
  const b = kiln.random.uniform(tb ? [n, k] : [k, n], 0, 1);
  const call = () => {
    const A = ta ? a.transpose() : a;
    const B = tb ? b.transpose() : b;
    const c = kiln.ops.matmul(A, B);
    if (ta) free(A);
    if (tb) free(B);
    return c;
  };
  const check = call();
  if (String(check.shape) !== String([m, n])) throw new Error(`matmul gave shape [${check.shape}], expected [${m},${n}]`);
  check.dataSync(); // forces the result in case the engine were lazy
  free(check);
  const flops = 2 * m * n * k;
  let iters = 1;
  let dt;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < iters; i++) free(call());
    dt = now() - t0;
    if (dt >= args.minTime / 4) break;
    iters *= 2;
  }
  iters = Math.max(1, Math.round((iters * args.minTime) / Math.max(dt, 1e-9)));
  const rates = [];
  for (let t = 0; t < args.trials; t++) {
    const t0 = now();
    let c;
    for (let i = 0; i < iters; i++) {
      free(c);
      c = call();
    }
    c.dataSync();
    dt = now() - t0;
    free(c);
    rates.push((flops * iters) / dt / 1e9);
  }
  free(a);
  free(b);
  return median(rates);
}

const results = {};
for (const [name, m, k, n, ta, tb] of SHAPES) results[name] = round(bench(m, k, n, ta, tb), 2);
const threads = process.env.KILN_NUM_THREADS ? Number(process.env.KILN_NUM_THREADS) : os.availableParallelism();
emit({ peer: 'kiln', metric: 'GFLOP/s (median of trials)', threads, results });
