// Peak RSS and event-loop delay of the seed-MLP fit on Fashion-MNIST, prepared as the tutorial
// does (loadData, astype, div, toCategorical). RSS is sampled every 20 ms through the run
// (process.resourceUsage().maxRSS gives the true peak); the event loop's delay is measured by
// perf_hooks.monitorEventLoopDelay during fit only.
// Usage: node scripts/probes/fit_memory.mjs [--epochs 5] [--batch 32] [--samples 60000]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildModel, kiln } from '../../benches/lib/kiln_mlp.mjs';

const arg = (name, d) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : d);
const epochs = arg('--epochs', 5),
  batchSize = arg('--batch', 32),
  samples = arg('--samples', 60000);
const MB = 1024 * 1024;
const rss = () => process.memoryUsage().rss / MB;
const peak = () => process.resourceUsage().maxRSS / 1024;
const marks = {};
kiln.setSeed(1);
const [[xTr, yTr]] = await kiln.datasets.fashionMnist.loadData({ path: '/usr/share/datasets/fashion-mnist' });
marks.after_load = { rss: rss(), peak: peak() };
let x = xTr.astype('float32').div(255);
let y = kiln.utils.toCategorical(yTr, 10);
if (samples < x.shape[0]) {
  x = x.slice([0, 0, 0], [samples, 28, 28]);
  y = y.slice([0, 0], [samples, 10]);
}
marks.after_prepare = { rss: rss(), peak: peak() };
const model = buildModel();
const perEpoch = [];
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const t0 = performance.now();
const history = await model.fit(x, y, {
  epochs,
  batchSize,
  verbose: 0,
  callbacks: [
    new kiln.callbacks.LambdaCallback({
      onEpochEnd: () => {
        perEpoch.push(+rss().toFixed(1));
      },
    }),
  ],
});
const fitS = (performance.now() - t0) / 1000;
delay.disable();
console.log(
  JSON.stringify({
    epochs,
    batchSize,
    samples,
    fit_s: +fitS.toFixed(2),
    loss: history.history.loss.map((v) => +v.toFixed(4)),
    after_load: marks.after_load,
    after_prepare: marks.after_prepare,
    peak_rss_mb: +peak().toFixed(1),
    rss_per_epoch_mb: perEpoch,
    event_loop_delay_ms: { p50: +(delay.percentile(50) / 1e6).toFixed(2), p99: +(delay.percentile(99) / 1e6).toFixed(2), max: +(delay.max / 1e6).toFixed(2) },
  }),
);
