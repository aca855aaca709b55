// Metrics in compile(): fit and evaluate accumulate them in the engine (Rust) over each run
// and report Keras' numbers. Small fixed-weight models, evaluate with batch size 8 on 20
// samples (so the last batch is short) and two epochs of SGD without shuffling, against
// Keras 3 on the same models: __test__/fixtures/keras_metrics.json, written by
// scripts/fixtures/keras_metrics.py.
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

type Nested = number[][];
type MetricEntry = string | [string, Record<string, unknown>];
interface ModelCase {
  title: string;
  activation: string | null;
  units: number;
  loss: string;
  targets: string;
  metrics: MetricEntry[];
  weights: (number[] | Nested)[];
  evaluate: Record<string, number>;
  history: Record<string, number[]>;
}
interface Fixture {
  model_data: Record<string, Nested | number[]>;
  models: ModelCase[];
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_metrics.json', import.meta.url), 'utf8'));

const TOLERANCE = 1e-5;
const assertClose = (t: ExecutionContext, actual: number, expected: number, what: string) =>
  t.true(Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected)), `${what}: kiln ${actual}, Keras ${expected}`);

type MetricClass = new (args?: Record<string, unknown>) => kiln.metrics.Metric<kiln.metrics.MetricResult>;
const toMetric = (entry: MetricEntry) => (typeof entry === 'string' ? entry : new (kiln.metrics as unknown as Record<string, MetricClass>)[entry[0]](entry[1]));

function build(c: ModelCase): kiln.Sequential {
  const model = new kiln.Sequential([new kiln.layers.Dense(4, { activation: 'tanh', inputShape: [5] }), new kiln.layers.Dense(c.units, { activation: c.activation ?? 'linear' })]);
  model.setWeights(c.weights.map((w) => kiln.tensor(w)));
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: c.loss, metrics: c.metrics.map(toMetric) });
  return model;
}

const x = kiln.tensor(fixture.model_data.x);
const targets = (c: ModelCase) => kiln.tensor(fixture.model_data[c.targets]);

for (const c of fixture.models) {
  test(`${c.title}: evaluate reports Keras' loss and metrics`, async (t) => {
    const model = build(c);
    const logs = await model.evaluate(x, targets(c), { batchSize: 8, verbose: 0, returnDict: true });
    t.deepEqual(Object.keys(logs).sort(), Object.keys(c.evaluate).sort());
    for (const [key, value] of Object.entries(c.evaluate)) assertClose(t, logs[key], value, key);
    // The list form follows compile's order, after the loss.
    const list = await model.evaluate(x, targets(c), { batchSize: 8, verbose: 0 });
    t.is(list.length, c.metrics.length + 1);
  });

  test(`${c.title}: fit's History holds Keras' running values over each epoch`, async (t) => {
    const model = build(c);
    const history = await model.fit(x, targets(c), { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    t.deepEqual(Object.keys(history.history).sort(), Object.keys(c.history).sort());
    for (const [key, values] of Object.entries(c.history)) {
      values.forEach((value, epoch) => assertClose(t, history.history[key][epoch], value, `${key} epoch ${epoch}`));
    }
  });
}

test("a metric instance given to compile holds the last run's state afterwards", async (t) => {
  const c = fixture.models.find((m) => m.loss === 'binary_crossentropy')!;
  const auc = new kiln.metrics.AUC({ name: 'auc' });
  const model = build({ ...c, metrics: [] });
  model.compile({ loss: c.loss, metrics: ['accuracy', auc] });
  const [, , fromEvaluate] = await model.evaluate(x, targets(c), { batchSize: 8, verbose: 0 });
  assertClose(t, fromEvaluate, c.evaluate.auc, 'auc');
  assertClose(t, auc.result(), c.evaluate.auc, 'auc.result()');
  // The same numbers standalone: the engine and updateState share the kernels.
  const standalone = new kiln.metrics.AUC();
  standalone.updateState(targets(c), await model.predict(x));
  assertClose(t, standalone.result(), c.evaluate.auc, 'standalone AUC on predict()');
});

function twoOutputModel(): kiln.Model {
  const inputs = kiln.Input({ shape: [5] });
  const hidden = new kiln.layers.Dense(4, { activation: 'tanh' }).apply(inputs);
  const first = new kiln.layers.Dense(1, { activation: 'sigmoid', name: 'first' }).apply(hidden);
  const second = new kiln.layers.Dense(1, { activation: 'sigmoid', name: 'second' }).apply(hidden);
  return new kiln.Model({ inputs, outputs: [first, second] });
}

test("metrics of a two-output model: per output as Keras 3 takes them, prefixed with the output's name", async (t) => {
  const model = twoOutputModel();
  const yFirst = kiln.tensor(fixture.model_data.binary);
  const ySecond = kiln.tensor(fixture.model_data.binary.map((r) => [1 - (r as number[])[0]]));
  const keys = async (metrics: kiln.CompileArgs['metrics']) => {
    model.compile({ loss: 'binary_crossentropy', metrics });
    const logs = await model.evaluate(x, [yFirst, ySecond], { verbose: 0, returnDict: true });
    // Each output's loss (`first_loss`, `second_loss`) is logged too; these are the metrics.
    return [
      Object.keys(logs)
        .filter((k) => k !== 'loss' && !k.endsWith('_loss'))
        .sort(),
      logs,
    ] as const;
  };
  const precision = new kiln.metrics.Precision({ name: 'p' });
  // One entry per output.
  const [perOutput, logs] = await keys([[precision, 'auc'], 'auc']);
  t.deepEqual(perOutput, ['first_auc', 'first_p', 'second_auc']);
  const [predFirst, predSecond] = await model.predict<kiln.Tensor[]>(x);
  const check = new kiln.metrics.AUC();
  check.updateState(yFirst, predFirst);
  assertClose(t, logs.first_auc, check.result(), 'first_auc');
  check.resetState();
  check.updateState(ySecond, predSecond);
  assertClose(t, logs.second_auc, check.result(), 'second_auc');
  assertClose(t, precision.result() as number, logs.first_p, "the instance holds its output's state");
  // Keyed by output name; outputs left out get none.
  t.deepEqual((await keys({ second: ['mse', 'mae'] }))[0], ['second_mae', 'second_mse']);
  // A list of another length applies to every output; an instance is copied for the second.
  t.deepEqual((await keys([precision, 'auc', 'mae']))[0], ['first_auc', 'first_mae', 'first_p', 'second_auc', 'second_mae', 'second_p']);
  t.throws(() => model.compile({ loss: 'binary_crossentropy', metrics: { third: ['auc'] } }), { instanceOf: kiln.ValueError, message: /output\(s\) "third".*"first", "second"/ });
});

test('compile refuses metrics it cannot report, naming them', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(3, { activation: 'softmax', inputShape: [5] })]);
  t.throws(() => model.compile({ loss: 'mse', metrics: ['precison'] }), { instanceOf: kiln.ValueError, message: /Unknown metric: 'precison'/ });
  t.throws(() => model.compile({ loss: 'mse', metrics: [new kiln.metrics.F1Score()] }), { instanceOf: kiln.ValueError, message: /"f1_score" returns one value per threshold or class/ });
  t.throws(() => model.compile({ loss: 'sparse_categorical_crossentropy', metrics: ['precision'] }), {
    instanceOf: kiln.ValueError,
    message: /Metric "precision" expects one target value per prediction.*sparse_categorical_crossentropy/,
  });
  t.throws(() => model.compile({ loss: 'categorical_crossentropy', metrics: ['sparse_top_k_categorical_accuracy'] }), {
    instanceOf: kiln.ValueError,
    message: /Metric "sparse_top_k_categorical_accuracy" expects integer class labels/,
  });
  t.throws(() => model.compile({ loss: 'mse', metrics: ['mse', new kiln.metrics.MeanSquaredError({ name: 'mse' })] }), { instanceOf: kiln.ValueError, message: /two metrics named "mse"/ });
});
