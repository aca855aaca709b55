// The stateful metrics used standalone (updateState / result / resetState), against Keras 3
// on the same batches: __test__/fixtures/keras_metrics.json, written by
// scripts/fixtures/keras_metrics.py (regenerate it with that script; no Python is needed here).
// Every case feeds three batches of different sizes, with or without sample weights, and
// checks the result after each batch, so the accumulation across batches is checked too.
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

type Nested = number[][];
type Result = number | number[];
interface Batch {
  [kind: string]: [Nested | null, Nested] | number[];
  weights: number[];
}
interface Case {
  metric: string;
  args: Record<string, unknown>;
  data: string;
  weighted: boolean;
  results: Result[];
}
interface Fixture {
  keras_version: string;
  batches: Batch[];
  cases: Case[];
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_metrics.json', import.meta.url), 'utf8'));

const TOLERANCE = 1e-5;

function assertClose(t: ExecutionContext, actual: Result, expected: Result, what: string): void {
  const a = Array.isArray(actual) ? actual : [actual];
  const e = Array.isArray(expected) ? expected : [expected];
  t.is(Array.isArray(actual), Array.isArray(expected), `${what}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`);
  t.is(a.length, e.length, `${what}: length`);
  e.forEach((value, i) => {
    const ok = Math.abs(a[i] - value) <= TOLERANCE * Math.max(1, Math.abs(value));
    t.true(ok, `${what}[${i}]: kiln ${a[i]}, Keras ${value}`);
  });
}

type MetricClass = new (args?: Record<string, unknown>) => kiln.metrics.Metric<Result>;
const metricClass = (name: string) => (kiln.metrics as unknown as Record<string, MetricClass>)[name];

/** Feeds the fixture's batches of `c` to `metric`, returning the result after each. */
function replay(metric: kiln.metrics.Metric<Result>, c: Case, toInput: (values: Nested) => kiln.TensorLike = (v) => v): Result[] {
  return fixture.batches.map((batch) => {
    const [yTrue, yPred] = batch[c.data] as [Nested | null, Nested];
    const weights = c.weighted ? batch.weights : undefined;
    if (yTrue === null) (metric as kiln.metrics.Mean).updateState(toInput(yPred), weights);
    else metric.updateState(toInput(yTrue), toInput(yPred), weights);
    return metric.result();
  });
}

const describe = (c: Case) => `${c.metric}(${JSON.stringify(c.args)}) on ${c.data}${c.weighted ? ', weighted' : ''}`;

for (const c of fixture.cases) {
  test(`${describe(c)} matches Keras after each batch`, (t) => {
    const metric = new (metricClass(c.metric))(c.args);
    replay(metric, c).forEach((result, i) => assertClose(t, result, c.results[i], `batch ${i}`));
    // getConfig rebuilds an equivalent metric; resetState starts over.
    const rebuilt = new (metricClass(c.metric))(metric.getConfig());
    t.is(rebuilt.name, metric.name);
    assertClose(t, replay(rebuilt, c, (v) => kiln.tensor(v)).at(-1)!, c.results.at(-1)!, 'rebuilt from getConfig, fed tensors');
    metric.resetState();
    assertClose(t, replay(metric, c)[0], c.results[0], 'after resetState');
  });
}

test('the fixture covers every metric class and both AUC curves', (t) => {
  const covered = new Set(fixture.cases.map((c) => c.metric));
  for (const name of [
    'BinaryAccuracy',
    'CategoricalAccuracy',
    'SparseCategoricalAccuracy',
    'TopKCategoricalAccuracy',
    'SparseTopKCategoricalAccuracy',
    'Precision',
    'Recall',
    'AUC',
    'F1Score',
    'FBetaScore',
    'TruePositives',
    'TrueNegatives',
    'FalsePositives',
    'FalseNegatives',
    'MeanSquaredError',
    'RootMeanSquaredError',
    'MeanAbsoluteError',
    'MeanAbsolutePercentageError',
    'R2Score',
    'Mean',
    'Sum',
    'MeanSquaredLogarithmicError',
    'LogCoshError',
    'CosineSimilarity',
    'Hinge',
    'SquaredHinge',
    'CategoricalHinge',
    'KLDivergence',
    'Poisson',
    'Accuracy',
    'BinaryCrossentropy',
    'CategoricalCrossentropy',
    'SparseCategoricalCrossentropy',
  ]) {
    t.true(covered.has(name), name);
    t.is(typeof metricClass(name), 'function', `kiln.metrics.${name}`);
  }
  t.true(fixture.cases.some((c) => c.metric === 'AUC' && c.args.curve === 'PR'));
});

test("Keras' string names give the metric classes, named as given", (t) => {
  const names: [string, string, string][] = [
    ['precision', 'Precision', 'precision'],
    ['recall', 'Recall', 'recall'],
    ['auc', 'AUC', 'auc'],
    ['AUC', 'AUC', 'AUC'],
    ['mse', 'MeanSquaredError', 'mse'],
    ['mae', 'MeanAbsoluteError', 'mae'],
    ['mape', 'MeanAbsolutePercentageError', 'mape'],
    ['top_k_categorical_accuracy', 'TopKCategoricalAccuracy', 'top_k_categorical_accuracy'],
    ['topKCategoricalAccuracy', 'TopKCategoricalAccuracy', 'top_k_categorical_accuracy'],
    ['sparse_top_k_categorical_accuracy', 'SparseTopKCategoricalAccuracy', 'sparse_top_k_categorical_accuracy'],
    ['f1_score', 'F1Score', 'f1_score'],
    ['r2_score', 'R2Score', 'r2_score'],
    ['root_mean_squared_error', 'RootMeanSquaredError', 'root_mean_squared_error'],
    ['true_positives', 'TruePositives', 'true_positives'],
    ['msle', 'MeanSquaredLogarithmicError', 'msle'],
    ['kl_divergence', 'KLDivergence', 'kl_divergence'],
    ['KLDivergence', 'KLDivergence', 'KLDivergence'],
    ['bce', 'BinaryCrossentropy', 'bce'],
    ['sparse_categorical_crossentropy', 'SparseCategoricalCrossentropy', 'sparse_categorical_crossentropy'],
  ];
  for (const [identifier, className, name] of names) {
    const metric = kiln.metrics.get(identifier);
    t.true(metric instanceof metricClass(className), identifier);
    t.is(metric.name, name);
  }
  t.throws(() => kiln.metrics.get('precison'), { instanceOf: kiln.ValueError, message: /Unknown metric: 'precison'.*'precision'/ });
});

test('default names are numbered as Keras numbers them, only where Keras does', (t) => {
  const first = new kiln.metrics.AUC();
  const second = new kiln.metrics.AUC();
  t.regex(second.name, /^auc_\d+$/);
  t.not(first.name, second.name);
  t.is(new kiln.metrics.F1Score().name, 'f1_score');
  t.is(new kiln.metrics.F1Score().name, 'f1_score');
  t.is(new kiln.metrics.MeanSquaredError().name, 'mean_squared_error');
});

test('inputs may be tensors, typed arrays or arrays; the result before any update is 0', (t) => {
  const metric = new kiln.metrics.BinaryAccuracy();
  t.is(metric.result(), 0);
  metric.updateState(Float32Array.from([1, 0, 1, 1]), kiln.tensor([0.9, 0.2, 0.3, 0.8]));
  t.is(metric.result(), 0.75);
  metric.updateState([[1], [0]], [[0.4], [0.1]], [3, 1]);
  t.is(metric.result(), 0.5); // (3 + 0·3 + 1·1) / (4 + 3 + 1)
  const mean = new kiln.metrics.Mean();
  mean.updateState(kiln.tensor([1, 3, 5, 7]), [1, 1, 0, 0]);
  t.is(mean.result(), 2);
});

test('bad arguments and shapes are refused with messages naming them', (t) => {
  t.throws(() => new kiln.metrics.AUC({ numThresholds: 1 }), { instanceOf: kiln.ValueError, message: /numThresholds.*> 1/ });
  t.throws(() => new kiln.metrics.AUC({ curve: 'XY' as kiln.metrics.AUCCurve }), { instanceOf: kiln.ValueError, message: /curve/ });
  t.throws(() => new kiln.metrics.Precision({ thresholds: [0.5, 1.5] }), { instanceOf: kiln.ValueError, message: /\[0, 1\]/ });
  t.throws(() => new kiln.metrics.F1Score({ average: 'mean' as kiln.metrics.FScoreAverage }), { instanceOf: kiln.ValueError, message: /average/ });
  t.throws(() => new kiln.metrics.TopKCategoricalAccuracy({ k: 0 }), { instanceOf: kiln.ValueError, message: /k/ });
  t.throws(() => new kiln.metrics.R2Score({ numRegressors: -1 }), { instanceOf: kiln.ValueError, message: /numRegressors/ });
  const precision = new kiln.metrics.Precision();
  t.throws(() => precision.updateState([[1], [0], [1]], [[0.5], [0.2]]), { instanceOf: kiln.ShapeError, message: /y_true of shape \[3, 1\].*y_pred of shape \[2, 1\]/ });
  t.throws(() => precision.updateState([[1], [0]], [[0.5], [0.2]], [1, 2, 3]), { instanceOf: kiln.ShapeError, message: /sample_weight/ });
  t.throws(() => new kiln.metrics.F1Score().updateState([1, 0], [0.3, 0.2]), { instanceOf: kiln.ShapeError, message: /2D inputs/ });
  t.throws(() => new kiln.metrics.Recall({ classId: 3 }).updateState([[1, 0]], [[0.2, 0.9]]), { instanceOf: kiln.ValueError, message: /class_id 3/ });
  const f1 = new kiln.metrics.F1Score();
  f1.updateState([[1, 0]], [[0.7, 0.3]]);
  t.throws(() => f1.updateState([[1, 0, 0]], [[0.7, 0.2, 0.1]]), { instanceOf: kiln.ShapeError, message: /resetState/ });
});
