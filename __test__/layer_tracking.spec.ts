// Layers own what they hold, as Keras' auto-tracking does: a custom layer keeping a Sequential,
// a list of layers and a dict of layers (keras.io's TransformerBlock keeps
// `this.ffn = new Sequential([...])`) counts, trains, summarises, saves and loads their weights;
// and a layer applied inside call() to a concrete tensor (keras.io's position embedding of
// `arange(maxlen)`) is recorded into the graph, so its weights train.
// Reference numbers: scripts/fixtures/keras_layer_tracking.py.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';
import { HeldLayersBlock } from './helpers/held_layers_block.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_layer_tracking.json', import.meta.url), 'utf8'));
const directory = mkdtempSync(join(tmpdir(), 'kiln-tracking-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

const { Dense, Embedding } = kiln.layers;

/** keras.io's TokenAndPositionEmbedding: the positions are a concrete tensor made in call(). */
class TokenAndPositionEmbedding extends kiln.layers.Layer {
  tokenEmb: kiln.layers.Embedding;
  posEmb: kiln.layers.Embedding;
  constructor(
    readonly maxlen: number,
    readonly vocabSize: number,
    readonly embedDim: number,
    args: kiln.layers.LayerArgs = {},
  ) {
    super(args);
    this.tokenEmb = new Embedding(vocabSize, embedDim);
    this.posEmb = new Embedding(maxlen, embedDim);
  }
  call(x: kiln.layers.LayerInput) {
    const positions = kiln.tensor(
      Int32Array.from({ length: this.maxlen }, (_, i) => i),
      [this.maxlen],
      'int32',
    );
    return kiln.ops.add(this.tokenEmb.apply(x as kiln.SymbolicTensor), this.posEmb.apply(positions));
  }
  getConfig() {
    return { ...super.getConfig(), maxlen: this.maxlen, vocabSize: this.vocabSize, embedDim: this.embedDim };
  }
}
kiln.utils.registerSerializable(TokenAndPositionEmbedding, { package: 'Tracking' });

kiln.utils.registerSerializable(HeldLayersBlock, { package: 'Tracking' });

function buildModel(seed: number): { model: kiln.Model; block: HeldLayersBlock } {
  kiln.setSeed(seed);
  const inputs = kiln.Input({ shape: [fixture.maxlen] });
  let x = new TokenAndPositionEmbedding(fixture.maxlen, fixture.vocab, fixture.embed).apply(inputs);
  const block = new HeldLayersBlock(fixture.embed, fixture.ff);
  x = block.apply(x);
  x = new kiln.layers.GlobalAveragePooling1D().apply(x);
  const outputs = new Dense(2, { activation: 'softmax' }).apply(x);
  return { model: new kiln.Model({ inputs, outputs }), block };
}

const ids = () => kiln.tensor(fixture.ids as number[][]);

function close(t: import('ava').ExecutionContext, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  t.is(actual.length, expected.length, what);
  const worst = Array.from(actual).reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
  t.true(worst <= tolerance, `${what}: largest difference ${worst}`);
}

test('a layer holding a Sequential, a list and a dict of layers has their weights, in Keras order and count', async (t) => {
  const { model, block } = buildModel(1);
  t.is(model.countParams(), fixture.count_params);
  t.is(block.countParams(), fixture.block_count_params);
  t.is(block.trainableWeights.length, fixture.block_trainable_weights);
  t.is(model.trainableWeights.length, fixture.weight_shapes.length);
  t.deepEqual(
    model.weights.map((w) => w.shape),
    fixture.weight_shapes,
  );
  // Keras' weights, in Keras' order, make Keras' predictions.
  model.setWeights(fixture.weights.map((values: number[], i: number) => kiln.tensor(values, fixture.weight_shapes[i])));
  const predicted = await model.predict(ids());
  close(t, predicted.dataSync(), (fixture.predictions as number[][]).flat(), 1e-5, 'predictions with Keras weights');
  const summary = model.summary(() => {});
  t.regex(summary, new RegExp(`held_layers_block.*\\b${fixture.block_count_params}\\b`));
  t.regex(summary, new RegExp(`Total params: ${fixture.count_params}\\b`));
  t.regex(summary, new RegExp(`Trainable params: ${fixture.count_params}\\b`));
});

test('freezing the holder freezes what it holds, the Sequential included', (t) => {
  const { block } = buildModel(1);
  block.trainable = false;
  t.is(block.trainableWeights.length, 0);
  t.is(block.nonTrainableWeights.length, fixture.block_trainable_weights);
  t.false(block.ffn.layers[0].trainable);
  block.trainable = true;
  t.is(block.trainableWeights.length, fixture.block_trainable_weights);
});

async function trained(seed: number): Promise<kiln.Model> {
  const { model } = buildModel(seed);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy' });
  const x = ids();
  const y = kiln.tensor([0, 1, 1, 0]);
  await model.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0 });
  return model;
}

test('held weights survive saveWeights / loadWeights', async (t) => {
  const model = await trained(2);
  const file = join(directory, 'held.weights.h5');
  await model.saveWeights(file);
  const { model: fresh } = buildModel(3);
  const expected = (await model.predict(ids())).dataSync();
  t.notDeepEqual(Array.from((await fresh.predict(ids())).dataSync()), Array.from(expected), 'a fresh model predicts differently');
  await fresh.loadWeights(file);
  t.deepEqual(Array.from((await fresh.predict(ids())).dataSync()), Array.from(expected));
  t.deepEqual(
    fresh.getWeights().map((w) => Array.from(w.dataSync())),
    model.getWeights().map((w) => Array.from(w.dataSync())),
  );
});

test('held weights survive a .keras save and load', async (t) => {
  const model = await trained(4);
  const file = join(directory, 'held.keras');
  await model.save(file);
  const loaded = await kiln.models.loadModel(file);
  t.is(loaded.countParams(), fixture.count_params);
  t.deepEqual(Array.from((await loaded.predict(ids())).dataSync()), Array.from((await model.predict(ids())).dataSync()));
});

/** The same embedding with the positions fed as a second model input: the symbolic form. */
class TokenAndFedPositionEmbedding extends kiln.layers.Layer {
  tokenEmb = new Embedding(fixture.vocab, fixture.embed);
  posEmb = new Embedding(fixture.maxlen, fixture.embed);
  call(inputs: kiln.layers.LayerInput | kiln.layers.LayerInput[]) {
    const [x, positions] = inputs as kiln.SymbolicTensor[];
    return kiln.ops.add(this.tokenEmb.apply(x), this.posEmb.apply(positions));
  }
}

test('a layer applied to a concrete tensor inside call() trains like its symbolic form', async (t) => {
  const x = kiln.tensor([
    [1, 2, 3, 4, 5, 6],
    [6, 5, 4, 3, 2, 1],
    [1, 1, 2, 2, 3, 3],
    [3, 3, 2, 2, 1, 1],
  ]);
  // The class depends on the order of the tokens, which only the position embedding sees.
  const y = kiln.tensor([0, 1, 0, 1]);
  const head = (h: kiln.SymbolicTensor) => new Dense(2, { activation: 'softmax' }).apply(new kiln.layers.Flatten().apply(h));

  kiln.setSeed(5);
  const ids = kiln.Input({ shape: [fixture.maxlen] });
  const concrete = new TokenAndPositionEmbedding(fixture.maxlen, fixture.vocab, fixture.embed);
  const model = new kiln.Model({ inputs: ids, outputs: head(concrete.apply(ids)) });

  const idsB = kiln.Input({ shape: [fixture.maxlen] });
  const positionsB = kiln.Input({ shape: [fixture.maxlen] });
  const fed = new TokenAndFedPositionEmbedding();
  const symbolicModel = new kiln.Model({ inputs: [idsB, positionsB], outputs: head(fed.apply([idsB, positionsB])) });
  symbolicModel.setWeights(model.getWeights());

  const before = concrete.posEmb.getWeights()[0].dataSync().slice();
  for (const m of [model, symbolicModel]) m.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.5 }), loss: 'sparse_categorical_crossentropy' });
  const history = await model.fit(x, y, { epochs: 5, batchSize: 4, shuffle: false, verbose: 0 });
  const positions = kiln.tensor(Array.from({ length: 4 }, () => Array.from({ length: fixture.maxlen }, (_, i) => i)));
  const symbolicHistory = await symbolicModel.fit([x, positions], y, { epochs: 5, batchSize: 4, shuffle: false, verbose: 0 });

  const after = concrete.posEmb.getWeights()[0].dataSync();
  t.true(
    Array.from(after).some((v, i) => v !== before[i]),
    'the position embedding trained',
  );
  close(t, after, fed.posEmb.getWeights()[0].dataSync(), 1e-5, 'position weights match the symbolic form');
  close(t, history.history.loss, symbolicHistory.history.loss, 1e-5, 'losses match the symbolic form');
  t.true(history.history.loss[4] < history.history.loss[0], 'the loss falls');
});

test('a model applied to a concrete tensor inside call() trains too', async (t) => {
  class AddsLearnedBias extends kiln.layers.Layer {
    bias = new kiln.Sequential([new Dense(3, { inputShape: [1] })]);
    call(x: kiln.layers.LayerInput) {
      return kiln.ops.add(x as kiln.SymbolicTensor, this.bias.apply(kiln.tensor([[1]])));
    }
  }
  kiln.setSeed(6);
  const inputs = kiln.Input({ shape: [3] });
  const layer = new AddsLearnedBias();
  const model = new kiln.Model({ inputs, outputs: layer.apply(inputs) });
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
  const before = layer.bias.getWeights().map((w) => Array.from(w.dataSync()));
  const history = await model.fit(kiln.tensor([[0, 0, 0]]), kiln.tensor([[1, 2, 3]]), { epochs: 10, verbose: 0 });
  t.notDeepEqual(
    layer.bias.getWeights().map((w) => Array.from(w.dataSync())),
    before,
  );
  t.true(history.history.loss[9] < history.history.loss[0] / 2);
  t.is(model.countParams(), 6);
});
