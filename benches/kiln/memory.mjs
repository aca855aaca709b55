// kiln-nn memory: peak RSS of a 5-epoch seed-MLP fit, and RSS after 2 vs after 20 epochs.
//
// Usage: node --expose-gc kiln/memory.mjs [--mode both|peak|growth] [--batch 32]
//          [--peak-epochs 5] [--growth-epochs 20] [--growth-samples 10000]
// peak:   full Fashion-MNIST, one process, process.resourceUsage().maxRSS after the fit (the
//         process peak, so it includes the data, as a user's process would); the same fit
//         records the event loop's delay (perf_hooks.monitorEventLoopDelay sampling every 1 ms;
//         the delay is what exceeds that interval):
//         a server training in the background must keep answering.
// growth: a fresh process training on the first --growth-samples samples; RSS is sampled after
//         every epoch (after global.gc() when run with --expose-gc) and epoch 2 is compared to
//         epoch 20: it must not grow.
// mode both runs each in its own child process and prints one merged JSON line.
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, emit, round } from '../lib/common.mjs';

const args = parseArgs(process.argv.slice(2), {
  mode: 'both',
  batch: 32,
  peakEpochs: 5,
  growthEpochs: 20,
  growthSamples: 10000,
  seed: 1,
});
const MB = 1024 * 1024;

if (args.mode === 'both') {
  const out = { peer: 'kiln', workload: 'memory' };
  for (const mode of ['peak', 'growth']) {
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--mode', mode, ...process.argv.slice(2).filter((a, i, all) => a !== '--mode' && all[i - 1] !== '--mode')], {
      encoding: 'utf8',
      maxBuffer: 64 * MB,
    });
    if (r.status !== 0) throw new Error(`memory --mode ${mode} failed (${r.status}): ${r.stderr.slice(-2000)}`);
    Object.assign(out, JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  emit(out);
  process.exit(0);
}

const { kiln, loadData, prepare, buildModel, fitTimed } = await import('../lib/kiln_mlp.mjs');
if (typeof kiln.setSeed === 'function') kiln.setSeed(args.seed);
const gc = () => {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
};
const rss = () => process.memoryUsage().rss / MB;

const { data } = await loadData();
const [[xTr, yTr]] = data;

if (args.mode === 'peak') {
  const [x, y] = prepare(xTr, yTr);
  const rssBefore = rss();
  const model = buildModel();
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  await fitTimed(model, x, y, { epochs: args.peakEpochs, batchSize: args.batch });
  loopDelay.disable();
  emit({
    // The histogram holds the time between samples: the 1 ms interval plus the delay.
    event_loop_delay_p50_ms: round(Math.max(0, loopDelay.percentile(50) / 1e6 - 1), 2),
    event_loop_delay_p99_ms: round(Math.max(0, loopDelay.percentile(99) / 1e6 - 1), 2),
    event_loop_delay_max_ms: round(Math.max(0, loopDelay.max / 1e6 - 1), 2),
    peak_epochs: args.peakEpochs,
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
    rss_before_fit_mb: round(rssBefore, 1),
    rss_after_fit_mb: round(rss(), 1),
  });
} else {
  const [x, y] = prepare(xTr, yTr, args.growthSamples);
  gc();
  const base = rss();
  const model = buildModel();
  const perEpoch = [];
  const { mode } = await fitTimed(model, x, y, {
    epochs: args.growthEpochs,
    batchSize: args.batch,
    onEpoch: () => {
      gc();
      perEpoch.push(rss());
    },
  });
  const at = (e) => perEpoch[Math.min(e, perEpoch.length) - 1];
  emit({
    growth_samples: args.growthSamples,
    growth_epochs: args.growthEpochs,
    gc: typeof global.gc === 'function',
    rss_base_mb: round(base, 1),
    rss_epoch2_mb: round(at(2), 1),
    rss_epoch20_mb: round(at(args.growthEpochs), 1),
    rss_growth_mb: round(at(args.growthEpochs) - at(2), 1),
    rss_per_epoch_mb: perEpoch.map((v) => round(v, 1)),
    growth_timing: mode,
  });
}
