// trainOnBatch, testOnBatch and predictOnBatch against Keras 3 (fixture:
// scripts/fixtures/keras_on_batch.py): each call's return value, in order, and the weights after.
import test from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

interface FixtureArray {
  shape: number[];
  values: number[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_on_batch.json', import.meta.url), 'utf8')) as {
  x: FixtureArray;
  y: number[];
  x2: FixtureArray;
  y2: number[];
  sampleWeight: number[];
  classWeight: Record<string, number>;
  initialWeights: FixtureArray[];
  steps: [string, number[] | Record<string, number>][];
  predictOnBatch: FixtureArray;
  finalWeights: FixtureArray[];
  iterations: number;
};

const toTensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.values), a.shape);
const close = (actual: number, expected: number, tolerance = 1e-5) => Math.abs(actual - expected) <= tolerance * (1 + Math.abs(expected));

function keraslikeModel(): kiln.Sequential {
  const model = new kiln.Sequential([new kiln.layers.Dense(5, { activation: 'tanh', inputShape: [4] }), new kiln.layers.Dense(3, { activation: 'softmax' })]);
  model.setWeights(fixture.initialWeights.map(toTensor));
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1, momentum: 0.9 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

test('trainOnBatch, testOnBatch and predictOnBatch return what Keras returns, and train as Keras trains', async (t) => {
  const model = keraslikeModel();
  const x = toTensor(fixture.x);
  const y = kiln.tensor(Int32Array.from(fixture.y));
  const x2 = toTensor(fixture.x2);
  const y2 = kiln.tensor(Int32Array.from(fixture.y2));
  const sampleWeight = Float32Array.from(fixture.sampleWeight);
  const classWeight = Object.fromEntries(Object.entries(fixture.classWeight).map(([k, v]) => [Number(k), v]));
  const got: Record<string, number[] | Record<string, number>> = {
    train: await model.trainOnBatch(x, y),
    train_weighted: await model.trainOnBatch(x2, y2, { sampleWeight }),
    train_class_weight: await model.trainOnBatch(x, y, { classWeight }),
    test: await model.testOnBatch(x2, y2),
    test_weighted: await model.testOnBatch(x2, y2, { sampleWeight }),
    test_dict: await model.testOnBatch(x, y, { returnDict: true }),
  };
  for (const [name, expected] of fixture.steps) {
    const actual = got[name];
    t.is(Array.isArray(actual), Array.isArray(expected), name);
    if (Array.isArray(expected)) {
      t.is((actual as number[]).length, expected.length, name);
      expected.forEach((v, i) => t.true(close((actual as number[])[i], v), `${name}[${i}]: ${(actual as number[])[i]} vs Keras ${v}`));
    } else {
      t.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), name);
      for (const [key, v] of Object.entries(expected)) t.true(close((actual as Record<string, number>)[key], v), `${name}.${key}: ${(actual as Record<string, number>)[key]} vs Keras ${v}`);
    }
  }
  t.is(model.optimizer!.iterations, fixture.iterations);
  model.getWeights().forEach((w, k) => {
    const expected = fixture.finalWeights[k].values;
    const actual = w.dataSync();
    t.true(
      expected.every((v, i) => close(actual[i], v)),
      `weight ${k}`,
    );
  });
  const predicted = model.predictOnBatch(x2);
  t.deepEqual(predicted.shape, fixture.predictOnBatch.shape);
  const values = predicted.dataSync();
  t.true(
    fixture.predictOnBatch.values.every((v, i) => close(values[i], v)),
    'predictOnBatch',
  );
});

test('the *OnBatch methods refuse what they cannot do, naming the method', async (t) => {
  const uncompiled = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [4] })]);
  const x = toTensor(fixture.x);
  const y = kiln.tensor(Int32Array.from(fixture.y));
  await t.throwsAsync(uncompiled.trainOnBatch(x, y), { instanceOf: kiln.RuntimeError, message: /You must call `compile\(\)` before using the model for training \(trainOnBatch\)/ });
  await t.throwsAsync(uncompiled.testOnBatch(x, y), { instanceOf: kiln.RuntimeError, message: /compile\(\)` before using the model for evaluation \(testOnBatch\)/ });
  // predictOnBatch needs no compile.
  t.deepEqual(uncompiled.predictOnBatch(x).shape, [8, 3]);
  const model = keraslikeModel();
  await t.throwsAsync(model.trainOnBatch(x, undefined as never), { instanceOf: kiln.ValueError, message: /trainOnBatch: `y` is required/ });
  await t.throwsAsync(model.trainOnBatch(x, y, { sampleWeight: [1, 2] }), { instanceOf: kiln.ValueError, message: /one value per sample: expected shape \[8\]/ });
  await t.throwsAsync(model.trainOnBatch(x, y, { sampleWeight: Float32Array.from(fixture.sampleWeight), classWeight: { 0: 2 } }), {
    instanceOf: kiln.ValueError,
    message: /You cannot `classWeight` and `sampleWeight` at the same time/,
  });
  t.throws(() => model.predictOnBatch(kiln.tensor(new Float32Array(10), [2, 5])), { instanceOf: kiln.ShapeError, message: /expected last axis 4, got 5/ });
  t.is(model.optimizer!.iterations, 0, 'nothing trained');
});
