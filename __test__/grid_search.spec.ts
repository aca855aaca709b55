// kiln.wrappers.gridSearch and randomSearch: scikit-learn's folds and grid order (fixture from
// scripts/fixtures/sklearn_model_selection.py), parameter routing, and picking the best
// configuration on real MNIST digits.
import test from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

interface FoldCase {
  name: string;
  labels: number[];
  nSplits: number;
  stratifiedTestFolds: number[][];
  kFoldTestFolds: number[][];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/sklearn_model_selection.json', import.meta.url), 'utf8')) as {
  folds: FoldCase[];
  parameterGrid: { grid: Record<string, unknown[]>; order: Record<string, unknown>[] };
};

for (const c of fixture.folds) {
  test(`stratifiedKFold and kFold give scikit-learn's test folds: ${c.name}, ${c.nSplits} splits`, (t) => {
    const stratified = kiln.wrappers.stratifiedKFold(c.labels, c.nSplits);
    t.deepEqual(
      stratified.map((f) => f.test),
      c.stratifiedTestFolds,
    );
    t.deepEqual(
      kiln.wrappers.kFold(c.labels.length, c.nSplits).map((f) => f.test),
      c.kFoldTestFolds,
    );
    for (const fold of stratified) t.is(fold.train.length + fold.test.length, c.labels.length);
  });
}

/** 600 real digits, flattened and scaled, with integer and one-hot labels. */
const digits = (async () => {
  const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.mnistDigits.loadData();
  const n = 600;
  const x = xTrain.slice([0, 0, 0], [n, -1, -1]).reshape([n, 784]).astype('float32').div(255);
  const labels = yTrain.slice([0], [n]);
  const xt = xTest.slice([0, 0, 0], [500, -1, -1]).reshape([500, 784]).astype('float32').div(255);
  return { x, labels, oneHot: kiln.utils.toCategorical(labels, 10), xt, yt: kiln.utils.toCategorical(yTest.slice([0], [500]), 10) };
})();

function mlp(optimizer: string | kiln.optimizers.Optimizer, units = 32): kiln.Model {
  const model = new kiln.Sequential([new kiln.layers.Dense(units, { activation: 'relu', inputShape: [784] }), new kiln.layers.Dense(10, { activation: 'softmax' })]);
  model.compile({ optimizer, loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

test('gridSearch picks the configuration that learns, scores each by stratified 3-fold accuracy, and refits it', async (t) => {
  kiln.setSeed(3);
  const { x, labels, oneHot, xt, yt } = await digits;
  const built: Record<string, unknown>[] = [];
  const fitArgs: Record<string, unknown>[] = [];
  const testFoldLabels: number[][] = [];
  const search = await kiln.wrappers.gridSearch({
    build: (params: { learningRate: number }) => {
      built.push(params);
      const model = mlp(new kiln.optimizers.Adam({ learningRate: params.learningRate }));
      const fit = model.fit.bind(model);
      model.fit = (xs, ys, args) => {
        fitArgs.push({ ...args });
        return fit(xs, ys, args);
      };
      return model;
    },
    paramGrid: { learningRate: [1e-6, 3e-3], epochs: [1, 3], batchSize: [32] },
    x,
    y: oneHot,
    cv: 3,
    scoring: async (model, xs, ys) => {
      testFoldLabels.push(Array.from(ys[0].argMax(-1).dataSync()));
      return (await model.evaluate(xs[0], ys[0], { returnDict: true, verbose: 0 })).accuracy;
    },
  });
  // Candidates in ParameterGrid order; build sees only model parameters, fit gets the rest.
  t.deepEqual(
    search.results.map((r) => r.params),
    [
      { batchSize: 32, epochs: 1, learningRate: 1e-6 },
      { batchSize: 32, epochs: 1, learningRate: 3e-3 },
      { batchSize: 32, epochs: 3, learningRate: 1e-6 },
      { batchSize: 32, epochs: 3, learningRate: 3e-3 },
    ],
  );
  t.is(built.length, 4 * 3 + 1);
  t.deepEqual(built[0], { learningRate: 1e-6 });
  t.deepEqual(fitArgs.map((a) => [a.epochs, a.batchSize, a.verbose]).slice(0, 4), [
    [1, 32, 0],
    [1, 32, 0],
    [1, 32, 0],
    [1, 32, 0],
  ]);
  // Each candidate is scored on the three stratified test folds of the labels.
  const folds = kiln.wrappers.stratifiedKFold(Array.from(labels.dataSync()), 3);
  const all = Array.from(labels.dataSync());
  for (let candidate = 0; candidate < 4; candidate++) {
    folds.forEach((fold, k) =>
      t.deepEqual(
        testFoldLabels[candidate * 3 + k],
        fold.test.map((i) => all[i]),
      ),
    );
  }
  t.deepEqual(search.bestParams, { batchSize: 32, epochs: 3, learningRate: 3e-3 });
  for (const r of search.results) {
    t.is(r.foldScores.length, 3);
    const mean = r.foldScores.reduce((a, b) => a + b, 0) / 3;
    t.true(Math.abs(r.meanScore - mean) < 1e-12);
    t.true(Math.abs(r.stdScore - Math.sqrt(r.foldScores.reduce((s, v) => s + (v - mean) ** 2, 0) / 3)) < 1e-12);
  }
  t.is(search.bestScore, Math.max(...search.results.map((r) => r.meanScore)));
  t.true(search.bestScore > 0.7, `best mean accuracy ${search.bestScore}`);
  t.true(search.results[0].meanScore < 0.35, `learning rate 1e-6 barely learns: ${search.results[0].meanScore}`);
  t.deepEqual(search.results.map((r) => r.rank).sort(), [1, 2, 3, 4]);
  t.is(search.results[search.bestIndex].rank, 1);
  // The refit model trained on all 600 digits generalises to the test digits.
  const [, testAccuracy] = await search.bestModel!.evaluate(xt, yt, { verbose: 0 });
  t.true(testAccuracy > 0.75, `refit test accuracy ${testAccuracy}`);
});

test('gridSearch routes optimizer to build as example 03 does, scores by the first metric, and can skip refit', async (t) => {
  kiln.setSeed(5);
  const { x, labels } = await digits;
  const xs = x.slice([0, 0], [300, -1]);
  const ys = kiln.utils.toCategorical(labels.slice([0], [300]), 10);
  const search = await kiln.wrappers.gridSearch({
    build: (params: { optimizer: string }) => {
      t.deepEqual(Object.keys(params), ['optimizer']);
      const model = mlp(params.optimizer, 16);
      const fit = model.fit.bind(model);
      model.fit = (xs, ys, args) => {
        t.is(args?.batchSize, 16);
        return fit(xs, ys, args);
      };
      return model;
    },
    // scikeras' snake_case names work too: batch_size goes to fit as batchSize.
    paramGrid: { optimizer: ['adam', 'sgd'], epochs: [2], batch_size: [16] },
    x: xs,
    y: ys,
    cv: 2,
    refit: false,
  });
  t.is(search.scoring, 'accuracy');
  t.is(search.nSplits, 2);
  t.is(search.bestModel, undefined);
  t.deepEqual(
    search.results.map((r) => r.params),
    [
      { batch_size: 16, epochs: 2, optimizer: 'adam' },
      { batch_size: 16, epochs: 2, optimizer: 'sgd' },
    ],
  );
  // Adam at its default rate learns far faster than plain SGD at 0.01 in two epochs.
  t.is(search.bestParams.optimizer, 'adam');
  t.true(search.results[0].meanScore > search.results[1].meanScore);
});

test('gridSearch uses KFold for regression targets and neg_ scoring for errors', async (t) => {
  kiln.setSeed(11);
  // y = 2a - b + noise-free: a linear model fits it; more epochs fit it better.
  const n = 90;
  const features = Array.from({ length: n }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
  const x = kiln.tensor(features);
  const y = kiln.tensor(features.map(([a, b]) => [2 * a - b]));
  const seenTestSizes: number[] = [];
  const search = await kiln.wrappers.gridSearch({
    build: () => {
      const model = new kiln.Sequential([new kiln.layers.Dense(1, { inputShape: [2] })]);
      model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
      return model;
    },
    paramGrid: { epochs: [1, 30], batchSize: [10] },
    x,
    y,
    cv: 4,
    scoring: 'neg_loss',
  });
  t.is(search.scoring, 'neg_loss');
  t.deepEqual(search.bestParams, { batchSize: 10, epochs: 30 });
  t.true(search.results.every((r) => r.meanScore <= 0));
  t.true(search.bestScore > -0.01, `mean squared error of the best: ${-search.bestScore}`);
  // Folds of 23, 23, 22, 22 consecutive samples, as KFold(4) splits 90.
  await kiln.wrappers.gridSearch({
    build: () => {
      const model = new kiln.Sequential([new kiln.layers.Dense(1, { inputShape: [2] })]);
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      return model;
    },
    paramGrid: { epochs: [1] },
    x,
    y,
    cv: 4,
    refit: false,
    scoring: (_model, _x, ys) => {
      seenTestSizes.push(ys[0].shape[0]);
      return 0;
    },
  });
  t.deepEqual(seenTestSizes, [23, 23, 22, 22]);
});

test('randomSearch samples repeatably from lists and distributions', async (t) => {
  kiln.setSeed(2);
  const { x, oneHot } = await digits;
  const xs = x.slice([0, 0], [120, -1]);
  const ys = oneHot.slice([0, 0], [120, -1]);
  const run = (seed: number) =>
    kiln.wrappers.randomSearch({
      build: ({ learningRate, units }: { learningRate: number; units: number }) => mlp(new kiln.optimizers.Adam({ learningRate }), units),
      paramDistributions: { learningRate: kiln.wrappers.loguniform(1e-4, 1e-2), units: kiln.wrappers.randint(4, 17), epochs: [1, 2] },
      nIter: 3,
      seed,
      x: xs,
      y: ys,
      cv: 2,
      refit: false,
    });
  const first = await run(42);
  const again = await run(42);
  const other = await run(43);
  t.is(first.results.length, 3);
  t.deepEqual(
    first.results.map((r) => r.params),
    again.results.map((r) => r.params),
  );
  t.notDeepEqual(
    first.results.map((r) => r.params),
    other.results.map((r) => r.params),
  );
  for (const { params } of first.results) {
    t.true(params.learningRate >= 1e-4 && params.learningRate <= 1e-2);
    t.true(Number.isInteger(params.units) && params.units >= 4 && params.units < 17);
    t.true(params.epochs === 1 || params.epochs === 2);
  }
  // With lists only, the candidates are distinct grid points.
  const lists = await kiln.wrappers.randomSearch({
    build: ({ units }: { units: number }) => mlp('adam', units),
    paramDistributions: { units: [4, 8, 16], epochs: [1, 2] },
    nIter: 5,
    seed: 7,
    x: xs,
    y: ys,
    cv: 2,
    refit: false,
  });
  const keys = lists.results.map((r) => JSON.stringify(r.params));
  t.is(new Set(keys).size, 5);
});

test('gridSearch refuses bad arguments with clear errors', async (t) => {
  const { x, oneHot } = await digits;
  const base = { build: () => mlp('adam', 4), paramGrid: { epochs: [1] }, x: x.slice([0, 0], [40, -1]), y: oneHot.slice([0, 0], [40, -1]) };
  await t.throwsAsync(kiln.wrappers.gridSearch({ ...base, cv: 1 }), { instanceOf: kiln.ValueError, message: /n_splits=2 or more, got n_splits=1/ });
  await t.throwsAsync(kiln.wrappers.gridSearch({ ...base, paramGrid: { epochs: [] } }), { instanceOf: kiln.ValueError, message: /'epochs' must be a non-empty array/ });
  await t.throwsAsync(kiln.wrappers.gridSearch({ ...base, scoring: 'precision', cv: 2 }), {
    instanceOf: kiln.ValueError,
    message: /scoring 'precision' is not something the model reports; evaluate\(\) gives: loss, accuracy/,
  });
  await t.throwsAsync(kiln.wrappers.gridSearch({ ...base, scoring: 'loss' }), { instanceOf: kiln.ValueError, message: /use 'neg_loss'/ });
  await t.throwsAsync(kiln.wrappers.gridSearch({ ...base, build: () => ({}) as kiln.Model, cv: 2 }), { instanceOf: kiln.ValueError, message: /must return a compiled kiln Model/ });
  await t.throwsAsync(kiln.wrappers.gridSearch({ ...base, y: oneHot.slice([0, 0], [30, -1]) }), { instanceOf: kiln.ValueError, message: /same number of samples/ });
  await t.throwsAsync(kiln.wrappers.randomSearch({ ...base, paramDistributions: { epochs: [1] }, nIter: 0 }), { instanceOf: kiln.ValueError, message: /nIter must be a positive integer/ });
});
