// One rank (or the single process) of the distributed-training tests: trains the seed MLP or
// CNN on the first Fashion-MNIST samples and, on the chief, writes its weights, History and
// evaluation to the file named in its JSON argument. Run with mpirun, or alone for the baseline.
import { writeFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

const cfg = JSON.parse(process.argv[2]);
if (cfg.distributed) kiln.distribution.setDistribution(new kiln.distribution.DataParallel({ timeout: 60 }));
kiln.setSeed(cfg.seed ?? 7);

const [[xAll, yAll], [xTestAll, yTestAll]] = await kiln.datasets.fashionMnist.loadData();
const first = (t, n) => t.slice([0, ...t.shape.slice(1).map(() => 0)], [n, ...t.shape.slice(1)]);
const images = (t, n) => first(t, n).astype('float32').div(255).reshape(cfg.model === 'cnn' ? [n, 28, 28, 1] : [n, 28, 28]);
const [x, xTest] = [images(xAll, cfg.samples), images(xTestAll, 200)];
const labels = (t, n) => (cfg.model === 'cnn' ? first(t, n).astype('int32') : kiln.utils.toCategorical(first(t, n), 10));
const [y, yTest] = [labels(yAll, cfg.samples), labels(yTestAll, 200)];

// The benches' seed models (benches/lib/kiln_mlp.mjs, benches/kiln/cnn.mjs), dropout left out.
const width = cfg.rank1Width && kiln.distribution.rank() === 1 ? cfg.rank1Width : 128;
const model =
  cfg.model === 'cnn'
    ? new kiln.Sequential([
        new kiln.layers.Conv2D(32, [3, 3], { activation: 'relu', inputShape: [28, 28, 1] }),
        new kiln.layers.MaxPooling2D([2, 2]),
        new kiln.layers.Conv2D(64, [3, 3], { activation: 'relu' }),
        new kiln.layers.MaxPooling2D([2, 2]),
        new kiln.layers.Flatten(),
        new kiln.layers.Dense(width, { activation: 'relu' }),
        new kiln.layers.Dense(10, { activation: 'softmax' }),
      ])
    : new kiln.Sequential([
        new kiln.layers.Flatten({ inputShape: [28, 28] }),
        new kiln.layers.Dense(width, { activation: 'relu' }),
        new kiln.layers.Dense(10, { activation: 'softmax' }),
      ]);
const loss = cfg.reduction ? new kiln.losses.CategoricalCrossentropy({ reduction: cfg.reduction }) : cfg.model === 'cnn' ? 'sparse_categorical_crossentropy' : 'categorical_crossentropy';
model.compile({ optimizer: cfg.optimizer ?? 'adam', loss, metrics: ['accuracy'] });

try {
  // A Dataset (shuffled with its own seed, the same on every rank): each rank trains on its part of every batch.
  const dataset = cfg.dataset && kiln.data.Dataset.fromTensors([x, y]).shuffle(cfg.samples, 11).batch(cfg.batchSize);
  const history = dataset
    ? await model.fit(dataset, { epochs: cfg.epochs, verbose: 0, validationData: [xTest, yTest] })
    : await model.fit(x, y, { batchSize: cfg.batchSize, epochs: cfg.epochs, shuffle: true, verbose: 0, validationData: [xTest, yTest], callbacks: [new kiln.callbacks.CSVLogger(`${cfg.out}.csv`, { append: true })] });
  const evaluation = await model.evaluate(xTest, yTest, { batchSize: 50, verbose: 0, returnDict: true });
  if (kiln.distribution.isChief()) {
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    writeFileSync(cfg.out, JSON.stringify({ size: kiln.distribution.size(), weights, history: history.history, evaluation }));
  }
} catch (error) {
  console.log(`FIT FAILED on rank ${kiln.distribution.rank()}: ${error.constructor.name}: ${error.message}`);
  process.exitCode = 3;
}
