// ResNet50 / MobileNetV2 inference in kiln-nn (workload 5): samples/s at each batch size.
//
// Usage: node kiln/infer_apps.mjs [--models ResNet50,MobileNetV2] [--batches 1,32] [--size 224] [--min-time 2] [--min-calls 3]
// kiln.applications.X({ weights: null, inputShape: [size, size, 3] }) (random weights, the
// 1000-class softmax classifier on), `await model.predict(x, { batchSize })` on one batch of
// fixed inputs in [0, 1), reading the result (dataSync). Calls are timed one by one after one
// warm-up call (two at batch 1) until --min-calls and --min-time; the median call gives
// samples/s. Prints one JSON line.
import { loadKiln } from '../lib/kiln.mjs';
import { emit, now, parseArgs, round } from '../lib/common.mjs';
import { fixedInputs, throughput } from '../lib/timing.mjs';

const args = parseArgs(process.argv.slice(2), { models: 'ResNet50,MobileNetV2', batches: '1,32', size: 224, minTime: 2, minCalls: 3, seed: 1 });
const kiln = await loadKiln();
kiln.setSeed(args.seed);
const free = (t) => {
  if (t && typeof t.dispose === 'function') t.dispose();
};
const results = {};
for (const name of args.models.split(',')) {
  const t0 = now();
  const model = await kiln.applications[name]({ weights: null, inputShape: [args.size, args.size, 3] });
  results[name] = { build_s: round(now() - t0, 2) };
  for (const batch of String(args.batches).split(',').map(Number)) {
    const x = kiln.tensor(fixedInputs(batch * args.size * args.size * 3), [batch, args.size, args.size, 3]);
    results[name][`batch=${batch}`] = await throughput(
      async () => {
        const y = await model.predict(x, { batchSize: batch, verbose: 0 });
        y.dataSync();
        free(y);
      },
      batch,
      { warmup: batch === 1 ? 2 : 1, minCalls: args.minCalls, minTime: args.minTime },
    );
    free(x);
  }
}
emit({ peer: 'kiln', workload: 'apps', size: args.size, results, peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1) });
