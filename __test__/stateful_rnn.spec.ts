// Stateful recurrent layers (Keras' `stateful=True`) against Keras 3: the files and numbers come
// from scripts/fixtures/keras_stateful_rnn.py (no Python is needed here). For each model (LSTM,
// GRU, SimpleRNN, Bidirectional LSTM, the batch size fixed by the Input's batchShape) the same
// sequence of calls runs on the .keras file, the .h5 file, the model built with kiln's API,
// and kiln's own saved copy: repeated predicts continue from the last states, resetStates
// starts over, and evaluate and fit (shuffle: false) carry the states from batch to batch.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';
import { allClose, type FixtureArray } from './helpers/keras_layer_cases.js';

interface Case {
  name: string;
  file: string;
  weights: FixtureArray[];
  calls: FixtureArray[];
  statesAfterCalls: FixtureArray[];
  afterReset: FixtureArray;
  allBatches: FixtureArray;
  evaluateLoss: number;
  afterEvaluate: FixtureArray;
  fitLoss: number;
  statesAfterFit: FixtureArray[];
  weightsAfterFit: FixtureArray[];
  afterFit: FixtureArray;
  y: FixtureArray;
}
const fixture: { keras: string; batch: number; x: FixtureArray; cases: Case[] } = JSON.parse(readFileSync(new URL('./fixtures/keras_stateful_rnn.json', import.meta.url), 'utf8'));
const fixtures = (file: string) => new URL(`./fixtures/${file}`, import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), 'kiln-stateful-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

const TOLERANCE = 1e-5;
const toTensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.data), a.shape);
const x = toTensor(fixture.x);
const firstBatch = x.slice([0, 0, 0], [fixture.batch, ...x.shape.slice(1)]);

/** The same model as the script's, with kiln's API. */
function build(name: string): kiln.Model {
  const inputs = kiln.Input({ batchShape: [fixture.batch, 4, 3], name: 'sequence' });
  const layers: kiln.layers.Layer[] = {
    stateful_lstm: () => [new kiln.layers.LSTM(4, { stateful: true }), new kiln.layers.Dense(2)],
    stateful_gru: () => [new kiln.layers.GRU(3, { stateful: true, returnSequences: true })],
    stateful_simple_rnn: () => [new kiln.layers.SimpleRNN(3, { stateful: true, goBackwards: true }), new kiln.layers.Dense(2)],
    stateful_bidirectional: () => [new kiln.layers.Bidirectional(new kiln.layers.LSTM(2, { stateful: true, returnSequences: true }))],
  }[name]!();
  let y: kiln.SymbolicTensor = inputs;
  for (const layer of layers) y = layer.apply(y);
  return new kiln.Model({ inputs, outputs: y, name });
}

/** The states of the model's recurrent layers, in the script's order. */
function statesOf(model: kiln.Model): kiln.Variable[] {
  return model.layers.flatMap((l) => (l instanceof kiln.layers.Bidirectional ? [l.forwardLayer, l.backwardLayer] : [l])).flatMap((l) => (l instanceof kiln.layers.BaseRNN ? (l.states ?? []) : []));
}

/** The script's sequence of calls, checked against Keras' numbers at each step. */
async function checkSequence(t: ExecutionContext, model: kiln.Model, c: Case) {
  const batchSize = fixture.batch;
  for (const [i, expected] of c.calls.entries()) {
    // predict and predictOnBatch alike continue from the last call's states.
    const y = i === 1 ? model.predictOnBatch<kiln.Tensor>(firstBatch) : await model.predict<kiln.Tensor>(firstBatch, { batchSize });
    allClose(t, y.dataSync(), expected, TOLERANCE, TOLERANCE, `predict call ${i + 1}`);
  }
  statesOf(model).forEach((s, k) => allClose(t, s.read().dataSync(), c.statesAfterCalls[k], TOLERANCE, TOLERANCE, `state ${k} after three calls`));
  model.resetStates();
  allClose(t, (await model.predict<kiln.Tensor>(firstBatch, { batchSize })).dataSync(), c.afterReset, TOLERANCE, TOLERANCE, 'predict after resetStates');
  model.resetStates();
  allClose(t, (await model.predict<kiln.Tensor>(x, { batchSize })).dataSync(), c.allBatches, TOLERANCE, TOLERANCE, 'predict over three batches');
  model.resetStates();
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
  const y = toTensor(c.y);
  const [loss] = (await model.evaluate(x, y, { batchSize, verbose: 0 })) as number[];
  t.true(Math.abs(loss - c.evaluateLoss) <= TOLERANCE * (1 + Math.abs(c.evaluateLoss)), `evaluate loss ${loss} vs ${c.evaluateLoss}`);
  allClose(t, (await model.predict<kiln.Tensor>(firstBatch, { batchSize })).dataSync(), c.afterEvaluate, TOLERANCE, TOLERANCE, 'predict after evaluate');
  model.resetStates();
  const history = await model.fit(x, y, { batchSize, epochs: 1, shuffle: false, verbose: 0 });
  t.true(Math.abs(history.history.loss[0] - c.fitLoss) <= TOLERANCE * (1 + c.fitLoss), `fit loss ${history.history.loss[0]} vs ${c.fitLoss}`);
  model.getWeights().forEach((w, k) => allClose(t, w.dataSync(), c.weightsAfterFit[k], TOLERANCE, TOLERANCE, `weight ${k} after fit`));
  statesOf(model).forEach((s, k) => allClose(t, s.read().dataSync(), c.statesAfterFit[k], TOLERANCE, TOLERANCE, `state ${k} after fit`));
  allClose(t, (await model.predict<kiln.Tensor>(firstBatch, { batchSize })).dataSync(), c.afterFit, TOLERANCE, TOLERANCE, 'predict after fit');
}

test('the fixture comes from Keras 3 and covers LSTM, GRU, SimpleRNN and Bidirectional', (t) => {
  t.regex(fixture.keras, /^3\./);
  t.deepEqual(
    fixture.cases.map((c) => c.name),
    ['stateful_lstm', 'stateful_gru', 'stateful_simple_rnn', 'stateful_bidirectional'],
  );
});

for (const c of fixture.cases) {
  for (const format of ['keras', 'h5']) {
    test(`${c.name}.${format} loads stateful and runs Keras' sequence of calls`, async (t) => {
      const model = await kiln.models.loadModel(fixtures(`${c.file}.${format}`));
      t.true(model.stateful);
      t.deepEqual(model.inputs[0].shape, [fixture.batch, 4, 3]);
      model.getWeights().forEach((w, k) => allClose(t, w.dataSync(), c.weights[k], 0, 0, `weight ${k}`));
      // Keras saves no states: a loaded model starts from zeros.
      t.true(
        statesOf(model).every((s) =>
          s
            .read()
            .dataSync()
            .every((v) => v === 0),
        ),
      );
      await checkSequence(t, model, c);
    });
  }

  test(`${c.name} built with kiln's API runs the same sequence, and its saved file round-trips`, async (t) => {
    const model = build(c.name);
    model.setWeights(c.weights.map(toTensor));
    // States are not weights (neither trained nor saved), as in Keras.
    t.is(model.getWeights().length, c.weights.length);
    t.true(statesOf(model).every((s) => !model.weights.includes(s)));
    await checkSequence(t, model, c);
    const path = join(directory, `${c.name}.keras`);
    await model.save(path);
    const loaded = await kiln.models.loadModel(path);
    t.true(loaded.stateful);
    t.deepEqual(loaded.inputs[0].shape, [fixture.batch, 4, 3]);
    const trained = model.getWeights();
    loaded.getWeights().forEach((w, k) => t.deepEqual(w.dataSync(), trained[k].dataSync(), `saved weight ${k}`));
    t.true(
      statesOf(loaded).every((s) =>
        s
          .read()
          .dataSync()
          .every((v) => v === 0),
      ),
    );
  });
}

test('an eager layer call carries the states; initialState still works and is carried from', (t) => {
  const c = fixture.cases.find((k) => k.name === 'stateful_gru')!;
  const layer = new kiln.layers.GRU(3, { stateful: true, returnSequences: true });
  layer.build([fixture.batch, 4, 3]);
  layer.setWeights(c.weights.map(toTensor));
  for (const expected of c.calls) allClose(t, layer.apply(firstBatch).dataSync(), expected, TOLERANCE, TOLERANCE, 'eager call');
  layer.resetStates();
  allClose(t, layer.apply(firstBatch).dataSync(), c.calls[0], TOLERANCE, TOLERANCE, 'eager call after resetStates');
  // Given first states replace the layer's for that call, and the call's final states are kept.
  const h = layer.states![0].read();
  layer.resetStates();
  const given = layer.apply(firstBatch, { initialState: [h] });
  allClose(t, given.dataSync(), c.calls[1], TOLERANCE, TOLERANCE, 'call from given first states');
  allClose(t, layer.apply(firstBatch).dataSync(), c.calls[2], TOLERANCE, TOLERANCE, 'the next call continues from it');
  // A model called on concrete tensors carries them too.
  const model = build('stateful_gru');
  model.setWeights(c.weights.map(toTensor));
  for (const expected of c.calls) allClose(t, model.apply<kiln.Tensor>(firstBatch).dataSync(), expected, TOLERANCE, TOLERANCE, 'model call');
});

test('a stateful layer needs a fixed batch size, and a batch of another size is refused naming both', async (t) => {
  const dynamic = kiln.Input({ shape: [4, 3] });
  const noBatch = t.throws(() => new kiln.layers.LSTM(2, { stateful: true, name: 'needs_batch' }).apply(dynamic), { instanceOf: kiln.ValueError });
  t.regex(noBatch.message, /Layer "needs_batch": when using `stateful: true` in a RNN, the batch size must be static.*\[null, 4, 3\]/);
  const model = build('stateful_lstm');
  const three = x.slice([0, 0, 0], [3, 4, 3]);
  const rnn = model.layers[1].name;
  const message = new RegExp(
    `${rnn}"?: if an RNN is stateful, the batch size of the input sequences must be the same as the batch size of the initial state: expected batch size 2, received batch size 3`,
  );
  await t.throwsAsync(() => model.predict(three), { instanceOf: kiln.ValueError, message });
  t.throws(() => model.predictOnBatch(three), { instanceOf: kiln.ValueError, message });
  // predict's default batch size (32) takes all six samples at once.
  await t.throwsAsync(() => model.predict(x), { instanceOf: kiln.ValueError, message: /expected batch size 2, received batch size 6/ });
  t.throws(() => model.layers[1].apply(three), { instanceOf: kiln.ValueError, message });
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  await t.throwsAsync(() => model.fit(three, kiln.tensor(new Float32Array(6), [3, 2]), { batchSize: 3, verbose: 0 }), {
    instanceOf: kiln.ValueError,
    message: /expected batch size 2, received batch size 3/,
  });
});

test('resetStates: layers and models; Bidirectional refuses it unless stateful, as Keras', (t) => {
  const plain = new kiln.layers.Bidirectional(new kiln.layers.LSTM(2));
  t.throws(() => plain.resetStates(), { instanceOf: kiln.ValueError, message: /must be stateful/ });
  // Before build and when not stateful, a recurrent layer's reset does nothing (Keras).
  t.notThrows(() => new kiln.layers.SimpleRNN(2, { stateful: true }).resetState());
  t.is(new kiln.layers.SimpleRNN(2).states, null);
  const model = build('stateful_bidirectional');
  model.predictOnBatch(firstBatch);
  t.true(
    statesOf(model).every((s) =>
      s
        .read()
        .dataSync()
        .some((v) => v !== 0),
    ),
  );
  model.resetState();
  t.true(
    statesOf(model).every((s) =>
      s
        .read()
        .dataSync()
        .every((v) => v === 0),
    ),
  );
  t.throws(() => new kiln.layers.GRU(2, { stateful: 'yes' as unknown as boolean }), { instanceOf: kiln.ValueError, message: /`stateful` must be a boolean/ });
});

test('a Sequential model takes the fixed batch size from inputShape with batchSize', async (t) => {
  const c = fixture.cases.find((k) => k.name === 'stateful_gru')!;
  const model = new kiln.Sequential([new kiln.layers.GRU(3, { stateful: true, returnSequences: true, inputShape: [4, 3], batchSize: fixture.batch })]);
  model.setWeights(c.weights.map(toTensor));
  t.true(model.stateful);
  for (const [i, expected] of c.calls.entries())
    allClose(t, (await model.predict<kiln.Tensor>(firstBatch, { batchSize: fixture.batch })).dataSync(), expected, TOLERANCE, TOLERANCE, `predict call ${i + 1}`);
});

test('valueAndGrad through a stateful layer carries its states, as a Keras call does', (t) => {
  const c = fixture.cases.find((k) => k.name === 'stateful_gru')!;
  const layer = new kiln.layers.GRU(3, { stateful: true, returnSequences: true });
  layer.build([fixture.batch, 4, 3]);
  layer.setWeights(c.weights.map(toTensor));
  const [, grads] = kiln.valueAndGrad(() => kiln.ops.mean(layer.apply(firstBatch)), layer.trainableWeights);
  t.is(grads.length, 3);
  allClose(t, layer.apply(firstBatch).dataSync(), c.calls[1], TOLERANCE, TOLERANCE, 'the call after valueAndGrad continues from it');
});

test('a stateful model is refused by the ONNX export, whose operators cannot carry states', async (t) => {
  const model = build('stateful_lstm');
  await t.throwsAsync(() => model.exportOnnx(join(directory, 'stateful.onnx')), { instanceOf: kiln.ValueError, message: /Layer "lstm(_\d+)?" cannot be exported to ONNX: it is stateful/ });
});
