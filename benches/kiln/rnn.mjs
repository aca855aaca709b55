// The seed RNN in kiln-nn on generated data: steady-state training samples/s.
//
// Usage: node kiln/rnn.mjs [--batch 32] [--epochs 4] [--warmup-epochs 1] [--samples 10000]
// Model: SimpleRNN 64 relu over [10 steps, 20 features] -> Dense 1 sigmoid; Adam,
// binary cross-entropy, accuracy. Data: lib/common.mjs rnnData (uniform x, random 0/1 labels,
// the same numbers as the peers'). samples/s over epochs warmup+1..N (epoch callback), as the
// MLP. The labels are random, so accuracy means nothing here. Prints one JSON line.
import { loadKiln } from '../lib/kiln.mjs';
import { fitTimed, scalar } from '../lib/kiln_mlp.mjs';
import { parseArgs, emit, round, now, rnnData } from '../lib/common.mjs';

const args = parseArgs(process.argv.slice(2), { batch: 32, epochs: 4, warmupEpochs: 1, samples: 10000, seed: 1 });
if (args.epochs <= args.warmupEpochs) throw new Error('--epochs must exceed --warmup-epochs');
const kiln = await loadKiln();
if (typeof kiln.setSeed === 'function') kiln.setSeed(args.seed);

const d = rnnData(args.samples, 10, 20, args.seed);
const x = kiln.tensor(d.x, d.shapeX, 'float32');
const y = kiln.tensor(d.y, d.shapeY, 'float32');

const model = new kiln.Sequential([new kiln.layers.SimpleRNN(64, { activation: 'relu', inputShape: [10, 20] }), new kiln.layers.Dense(1, { activation: 'sigmoid' })]);
model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });

const t0 = now();
const { times, losses, mode } = await fitTimed(model, x, y, { epochs: args.epochs, batchSize: args.batch });
const fitS = now() - t0;
const steady = times.slice(args.warmupEpochs);
emit({
  peer: 'kiln',
  workload: 'rnn',
  batch: args.batch,
  epochs: args.epochs,
  warmup_epochs: args.warmupEpochs,
  train_samples: args.samples,
  samples_per_s: round((args.samples * steady.length) / steady.reduce((a, b) => a + b, 0), 1),
  epoch_s: times.map((t) => round(t, 3)),
  fit_s: round(fitS, 3),
  train_loss: losses.map((v) => round(scalar(v), 4)),
  peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
  timing: mode,
});
