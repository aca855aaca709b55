// Trains the seed MLP for one epoch on SAMPLES synthetic samples, either held in memory
// (`inMemory`) or streamed from a generator in batches (`streaming`), and prints the peak
// resident memory growth as JSON. Run in a child process per mode, so peaks do not mix.
import * as kiln from 'kiln-nn';

const mode = process.argv[2];
const SAMPLES = Number(process.argv[3] ?? 60000);
const BATCH = 500;
const FEATURES = 784;

kiln.setSeed(1);
const model = new kiln.Sequential([
  new kiln.layers.Flatten({ inputShape: [FEATURES] }),
  new kiln.layers.Dense(128, { activation: 'relu' }),
  new kiln.layers.Dense(10, { activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
// Warm the engine on one batch so both modes start from the same resident set.
await model.fit(kiln.random.uniform([BATCH, FEATURES]), kiln.utils.toCategorical(kiln.random.randint(0, 10, [BATCH]), 10), { verbose: 0 });
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
const timer = setInterval(sample, 5);

const started = performance.now();
let history;
if (mode === 'inMemory') {
  const x = kiln.random.uniform([SAMPLES, FEATURES]);
  const y = kiln.utils.toCategorical(kiln.random.randint(0, 10, [SAMPLES]), 10);
  sample();
  history = await model.fit(x, y, { epochs: 1, batchSize: BATCH, verbose: 0 });
} else {
  const stream = kiln.data.Dataset.fromGenerator(function* () {
    for (let done = 0; done < SAMPLES; done += BATCH) {
      yield [kiln.random.uniform([BATCH, FEATURES]), kiln.utils.toCategorical(kiln.random.randint(0, 10, [BATCH]), 10)];
      sample();
    }
  }).prefetch(1);
  history = await model.fit(stream, { epochs: 1, verbose: 0 });
}
clearInterval(timer);
sample();
console.log(JSON.stringify({
  mode,
  peakGrowthMiB: (peak - baseline) / 2 ** 20,
  seconds: (performance.now() - started) / 1000,
  loss: history.history.loss[0],
}));
