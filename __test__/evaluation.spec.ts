// The evaluation helpers of kiln.metrics, checked against scikit-learn's outputs on the same
// inputs (__test__/fixtures/sklearn_metrics.json, written by scripts/fixtures/sklearn_metrics.py).
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

/** JSON has no NaN or Infinity: the fixture writes them as strings. */
type FixtureNumber = number | 'NaN' | 'Infinity' | '-Infinity';

interface CurveCase {
  name: string;
  float32: boolean;
  yTrue: number[];
  scores: number[];
  precisionRecallCurve: Record<'precision' | 'recall' | 'thresholds', FixtureNumber[]>;
  precisionRecallCurveDropIntermediate: Record<'precision' | 'recall' | 'thresholds', FixtureNumber[]>;
  rocCurve: Record<'fpr' | 'tpr' | 'thresholds', FixtureNumber[]>;
  rocCurveKeepIntermediate: Record<'fpr' | 'tpr' | 'thresholds', FixtureNumber[]>;
  rocAucScore: FixtureNumber;
  averagePrecisionScore: FixtureNumber;
}

interface Fixture {
  sklearn: string;
  curves: CurveCase[];
  auc: Array<{ name: string; x: number[]; y: number[]; area?: number; error?: string }>;
  confusionMatrix: Array<{ name: string; yTrue: number[]; yPred: number[]; numClasses: number | null; matrix: number[][] }>;
  classificationReport: Array<{
    name: string;
    yTrue: number[];
    yPred: number[];
    targetNames: string[] | null;
    digits: number;
    text: string;
    dict: Record<string, number | Record<string, number>>;
  }>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/sklearn_metrics.json', import.meta.url), 'utf8')) as Fixture;

function decode(value: FixtureNumber): number {
  if (typeof value === 'number') return value;
  return value === 'NaN' ? NaN : value === 'Infinity' ? Infinity : -Infinity;
}

/** Equal to 1e-9 relative, with NaN equal to NaN and infinities exact. */
function close(actual: number, expected: number): boolean {
  if (Number.isNaN(expected) || !Number.isFinite(expected)) return Object.is(actual, expected) || (Number.isNaN(actual) && Number.isNaN(expected));
  return Math.abs(actual - expected) <= 1e-9 * Math.max(Math.abs(expected), 1e-300);
}

function assertClose(t: ExecutionContext, actual: number[] | number, expected: FixtureNumber[] | FixtureNumber, what: string) {
  const got = Array.isArray(actual) ? actual : [actual];
  const want = (Array.isArray(expected) ? expected : [expected]).map(decode);
  t.is(got.length, want.length, `${what}: length`);
  const bad = want.findIndex((value, i) => !close(got[i], value));
  t.is(bad, -1, `${what}: index ${bad}: got ${got[bad]}, scikit-learn ${want[bad]}`);
}

test(`the fixture was made by scikit-learn (${fixture.sklearn})`, (t) => {
  t.regex(fixture.sklearn, /^1\.\d+/);
  t.true(fixture.curves.length >= 10 && fixture.classificationReport.length >= 10);
});

for (const c of fixture.curves) {
  test(`precisionRecallCurve, rocCurve, rocAucScore, averagePrecisionScore: ${c.name}`, (t) => {
    const pr = kiln.metrics.precisionRecallCurve(c.yTrue, c.scores);
    for (const key of ['precision', 'recall', 'thresholds'] as const) assertClose(t, pr[key], c.precisionRecallCurve[key], `precision-recall ${key}`);
    const prDropped = kiln.metrics.precisionRecallCurve(c.yTrue, c.scores, { dropIntermediate: true });
    for (const key of ['precision', 'recall', 'thresholds'] as const) {
      assertClose(t, prDropped[key], c.precisionRecallCurveDropIntermediate[key], `precision-recall (dropIntermediate) ${key}`);
    }
    const roc = kiln.metrics.rocCurve(c.yTrue, c.scores);
    for (const key of ['fpr', 'tpr', 'thresholds'] as const) assertClose(t, roc[key], c.rocCurve[key], `roc ${key}`);
    const rocKept = kiln.metrics.rocCurve(c.yTrue, c.scores, { dropIntermediate: false });
    for (const key of ['fpr', 'tpr', 'thresholds'] as const) assertClose(t, rocKept[key], c.rocCurveKeepIntermediate[key], `roc (all thresholds) ${key}`);
    assertClose(t, kiln.metrics.rocAucScore(c.yTrue, c.scores), c.rocAucScore, 'rocAucScore');
    assertClose(t, kiln.metrics.averagePrecisionScore(c.yTrue, c.scores), c.averagePrecisionScore, 'averagePrecisionScore');
    if (!Number.isNaN(decode(c.rocAucScore))) {
      assertClose(t, kiln.metrics.auc(roc.fpr, roc.tpr), c.rocAucScore, 'auc(fpr, tpr)');
    }
  });
}

test('the curves take typed arrays and tensors as well as arrays (float32 scores give the same outputs)', (t) => {
  const cases = fixture.curves.filter((c) => c.float32);
  t.true(cases.length >= 5);
  for (const c of cases) {
    const inputs: Array<[kiln.metrics.EvaluationInput, kiln.metrics.EvaluationInput]> = [
      [Int32Array.from(c.yTrue), Float32Array.from(c.scores)],
      [kiln.tensor(c.yTrue, undefined, 'int32'), kiln.tensor(c.scores)],
      [kiln.tensor(c.yTrue, [c.yTrue.length, 1]), kiln.tensor(c.scores, [c.scores.length, 1])],
      [c.yTrue.map((v) => [v]), Float64Array.from(c.scores)],
    ];
    for (const [yTrue, scores] of inputs) {
      const roc = kiln.metrics.rocCurve(yTrue, scores);
      for (const key of ['fpr', 'tpr', 'thresholds'] as const) assertClose(t, roc[key], c.rocCurve[key], `${c.name}: roc ${key}`);
      const pr = kiln.metrics.precisionRecallCurve(yTrue, scores);
      for (const key of ['precision', 'recall', 'thresholds'] as const) assertClose(t, pr[key], c.precisionRecallCurve[key], `${c.name}: precision-recall ${key}`);
    }
  }
});

for (const c of fixture.auc) {
  test(`auc: ${c.name}`, (t) => {
    if (c.error !== undefined) {
      t.throws(() => kiln.metrics.auc(c.x, c.y), { instanceOf: kiln.ValueError, message: /^auc: / });
    } else {
      // Bit for bit: the trapezoids are summed in numpy's pairwise order.
      t.is(kiln.metrics.auc(c.x, c.y), c.area!);
    }
  });
}

for (const c of fixture.confusionMatrix) {
  test(`confusionMatrix: ${c.name}`, (t) => {
    const matrix = kiln.metrics.confusionMatrix(c.yTrue, c.yPred, c.numClasses ?? undefined);
    t.is(matrix.dtype, 'int32');
    t.deepEqual(matrix.shape, [c.matrix.length, c.matrix.length]);
    t.deepEqual(matrix.toArray(), c.matrix);
    t.deepEqual(kiln.metrics.confusionMatrix(Uint8Array.from(c.yTrue), kiln.tensor(c.yPred, undefined, 'int32'), c.numClasses ?? undefined).toArray(), c.matrix);
  });
}

for (const c of fixture.classificationReport) {
  test(`classificationReport: ${c.name}`, (t) => {
    const options = { targetNames: c.targetNames ?? undefined, digits: c.digits };
    t.is(kiln.metrics.classificationReport(c.yTrue, c.yPred, options), c.text);
    const report = kiln.metrics.classificationReport(c.yTrue, c.yPred, { targetNames: c.targetNames ?? undefined, outputDict: true });
    t.deepEqual(Object.keys(report).sort(), Object.keys(c.dict).sort());
    for (const [key, expected] of Object.entries(c.dict)) {
      const actual = report[key];
      if (typeof expected === 'number') {
        assertClose(t, actual as number, expected, `${key}`);
      } else {
        const row = actual as kiln.metrics.ClassificationReportRow;
        for (const column of ['precision', 'recall', 'f1-score', 'support'] as const) assertClose(t, row[column], expected[column], `${key} ${column}`);
      }
    }
  });
}

test('classificationReport prints the table of scikit-learn docstring', (t) => {
  const report = kiln.metrics.classificationReport([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], { targetNames: ['class 0', 'class 1', 'class 2'] });
  t.is(
    report,
    [
      '              precision    recall  f1-score   support',
      '',
      '     class 0       0.50      1.00      0.67         1',
      '     class 1       0.00      0.00      0.00         1',
      '     class 2       1.00      0.67      0.80         3',
      '',
      '    accuracy                           0.60         5',
      '   macro avg       0.50      0.56      0.49         5',
      'weighted avg       0.70      0.60      0.61         5',
      '',
    ].join('\n'),
  );
});

test('bad input throws ValueError naming the argument, what was expected and what was given', (t) => {
  const m = kiln.metrics;
  const cases: Array<[() => unknown, RegExp]> = [
    [() => m.rocCurve([0, 1, 1], [0.1, 0.2]), /^rocCurve: yTrue and scores must have the same length, got 3 and 2$/],
    [() => m.precisionRecallCurve([0, 1, 2], [0.1, 0.2, 0.3]), /^precisionRecallCurve: yTrue must hold binary labels, 0 and 1 \(or -1 and 1\), got the labels 0, 1, 2$/],
    [() => m.rocAucScore([0, 0.5, 1], [0.1, 0.2, 0.3]), /^rocAucScore: yTrue must hold binary labels.*got the labels 0, 0.5, 1$/],
    [() => m.averagePrecisionScore([0, 1, 1], [0.1, NaN, 0.3]), /^averagePrecisionScore: scores must hold finite numbers, got NaN at index 1$/],
    [() => m.rocCurve([0, 1], [0.1, Infinity]), /^rocCurve: scores must hold finite numbers, got Infinity at index 1$/],
    [() => m.rocCurve([], []), /^rocCurve: yTrue is empty, expected at least one value$/],
    [() => m.precisionRecallCurve([0, 1], new Float32Array(0)), /^precisionRecallCurve: scores is empty/],
    [() => m.auc([0, 1, 0.5], [1, 1, 1]), /^auc: x must be increasing or decreasing, got \[0, 1, 0.5\]$/],
    [() => m.auc([0.5], [1]), /^auc: at least 2 points are needed to compute the area under a curve, got 1$/],
    [() => m.auc([0, 1], [1, 1, 1]), /^auc: x and y must have the same length, got 2 and 3$/],
    [() => m.confusionMatrix([0, 1], [0, 1, 1]), /^confusionMatrix: yTrue and yPred must have the same length, got 2 and 3$/],
    [() => m.confusionMatrix([0, 1.5], [0, 1]), /^confusionMatrix: yTrue must hold integer class labels, got 1.5 at index 1$/],
    [() => m.confusionMatrix([0, 1], [0, -1]), /^confusionMatrix: yPred must hold class labels 0, 1, 2, ..., got -1 at index 1$/],
    [() => m.confusionMatrix([0, 3], [0, 1], 3), /^confusionMatrix: yTrue must hold labels in 0..2 \(numClasses 3\), got 3 at index 1$/],
    [() => m.confusionMatrix([0, 1], [0, 1], 0), /^confusionMatrix: numClasses must be a positive integer, got 0$/],
    [() => m.confusionMatrix([], []), /^confusionMatrix: yTrue is empty/],
    [() => m.confusionMatrix([0, 1e12], [0, 1]), /^confusionMatrix: a 1000000000001 x 1000000000001 matrix is too large to allocate/],
    [() => m.classificationReport([0, 1, 2], [0, 1, 1], { targetNames: ['a', 'b'] }), /^classificationReport: targetNames must name the 3 classes found in yTrue and yPred \(0, 1, 2\), got 2 names$/],
    [() => m.classificationReport([0, 1], [0, NaN]), /^classificationReport: yPred must hold integer class labels, got NaN at index 1$/],
    [() => m.classificationReport([0, 1], [0, 1], { digits: -1 }), /^classificationReport: digits must be a non-negative integer, got -1$/],
    [() => m.classificationReport([0, 1], ['a', 'b'] as unknown as number[]), /^classificationReport: yPred must be a vector of numbers, got the string "a" at index 0$/],
  ];
  for (const [call, message] of cases) t.throws(call, { instanceOf: kiln.ValueError, message });
  t.throws(
    () =>
      m.rocCurve(
        kiln.tensor([
          [0, 1],
          [1, 0],
        ]),
        [0.1, 0.2, 0.3, 0.4],
      ),
    {
      instanceOf: kiln.ShapeError,
      message: /^rocCurve: yTrue must be a vector \(shape \[n\] or \[n, 1\]\), got shape \[2, 2\]$/,
    },
  );
});

test.serial('a model trained on the MNIST digits: the confusion matrix agrees with the data and with evaluate', async (t) => {
  kiln.setSeed(7);
  const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.mnistDigits.loadData();
  const model = new kiln.Sequential([new kiln.layers.Flatten({ inputShape: [28, 28] }), new kiln.layers.Dense(32, { activation: 'relu' }), new kiln.layers.Dense(10, { activation: 'softmax' })]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await model.fit(xTrain.astype('float32').div(255), yTrain, { epochs: 1, verbose: 0 });
  const xTestFloat = xTest.astype('float32').div(255);
  const [, accuracy] = await model.evaluate(xTestFloat, yTest, { verbose: 0 });
  const predicted = (await model.predict(xTestFloat)).argMax(-1);

  const matrix = kiln.metrics.confusionMatrix(yTest, predicted, 10);
  t.deepEqual(matrix.shape, [10, 10]);
  const rows = matrix.toArray() as number[][];
  const perClass = new Array<number>(10).fill(0);
  for (const label of yTest.dataSync()) perClass[label]++;
  t.deepEqual(
    rows.map((row) => row.reduce((a, b) => a + b, 0)),
    perClass,
  );
  const trace = rows.reduce((sum, row, i) => sum + row[i], 0);
  t.is(trace / 2000, accuracy);
  t.true(accuracy > 0.8, `accuracy after one epoch ${accuracy}`);

  const report = kiln.metrics.classificationReport(yTest, predicted, { outputDict: true });
  t.is(report.accuracy, trace / 2000);
  t.is(report['weighted avg'].support, 2000);
  t.is((report['3'] as kiln.metrics.ClassificationReportRow).support, perClass[3]);
});
