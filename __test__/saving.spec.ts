// model.save / kiln.models.loadModel round trips (.keras and legacy .h5), saveWeights /
// loadWeights, toJSON / modelFromJSON, cloneModel, registerSerializable, and saves that fail
// leaving the previous file as it was.
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';
import { inputsOf, predictAll, trainedModel } from './helpers/saving_models.js';

const directory = mkdtempSync(join(tmpdir(), 'kiln-saving-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

function weightsEqual(t: import('ava').ExecutionContext, a: kiln.Model, b: kiln.Model, what: string): void {
  const [wa, wb] = [a.getWeights(), b.getWeights()];
  t.is(wa.length, wb.length, `${what}: weight count`);
  wa.forEach((w, i) => t.deepEqual(Array.from(wb[i].dataSync()), Array.from(w.dataSync()), `${what}: weight ${i} (${a.weights[i].path})`));
}

// Models without Dropout, so that continued training draws nothing at random.
for (const name of ['cnn', 'lstm', 'gru', 'batch_norm', 'multi_input', 'functional']) {
  for (const extension of ['keras', 'h5']) {
    test(`${name}.${extension}: save then load predicts identically and continues training identically`, async (t) => {
      const { model, x, y } = await trainedModel(name);
      const file = join(directory, `${name}.${extension}`);
      await model.save(file);
      const loaded = await kiln.models.loadModel(file);
      t.true(loaded instanceof (model instanceof kiln.Sequential ? kiln.Sequential : kiln.Model));
      // As in Keras, the input shape comes back on the model's input rather than the first layer.
      const configs = (m: kiln.Model) => m.layers.map(({ getConfig }) => getConfig).map((f, i) => ({ ...f.call(m.layers[i]), batchInputShape: undefined }));
      t.deepEqual(configs(loaded), configs(model), 'every layer config comes back');
      t.deepEqual(
        loaded.inputs.map((i) => i.shape),
        model.inputs.map((i) => i.shape),
      );
      const [before, after] = [await predictAll(model, x), await predictAll(loaded, x)];
      before.forEach((p, i) => t.deepEqual(Array.from(after[i]), Array.from(p), `output ${i}`));
      t.is(loaded.optimizer!.constructor, model.optimizer!.constructor);
      t.is(loaded.optimizer!.iterations, 4);
      // Two more epochs each: the restored optimizer state and step give the very same weights.
      const fit = (m: kiln.Model) => m.fit(inputsOf(x), y.length === 1 ? y[0] : y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
      await fit(model);
      await fit(loaded);
      weightsEqual(t, model, loaded, 'after continued training');
      t.is(loaded.optimizer!.iterations, 8);
      t.deepEqual(await loaded.evaluate(inputsOf(x), y.length === 1 ? y[0] : y, { verbose: 0 }), await model.evaluate(inputsOf(x), y.length === 1 ? y[0] : y, { verbose: 0 }));
    });
  }
}

test('compile settings come back: optimizer config, loss instance, metrics, loss weights', async (t) => {
  kiln.setSeed(5);
  const model = new kiln.Sequential([new kiln.layers.Dense(4, { activation: 'relu', inputShape: [3] }), new kiln.layers.Dense(2, { activation: 'softmax' })]);
  const schedule = new kiln.optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.01, decaySteps: 10, decayRate: 0.5 });
  model.compile({
    optimizer: new kiln.optimizers.Adam({ learningRate: schedule, beta1: 0.8, amsgrad: true, clipnorm: 1 }),
    loss: new kiln.losses.CategoricalCrossentropy({ labelSmoothing: 0.1 }),
    metrics: ['accuracy'],
  });
  const x = kiln.random.uniform([8, 3]);
  const y = kiln.utils.toCategorical(kiln.random.randint(0, 2, [8]), 2);
  await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false });
  const file = join(directory, 'compiled.keras');
  await model.save(file);
  const loaded = await kiln.models.loadModel(file);
  const adam = loaded.optimizer as kiln.optimizers.Adam;
  t.true(adam instanceof kiln.optimizers.Adam);
  t.is(adam.beta1, 0.8);
  t.is(adam.amsgrad, true);
  t.is(adam.clipnorm, 1);
  t.true(adam.learningRate instanceof kiln.optimizers.schedules.ExponentialDecay);
  t.is(adam.learningRateAt(20), 0.0025);
  t.deepEqual(await loaded.evaluate(x, y, { verbose: 0 }), await model.evaluate(x, y, { verbose: 0 }), 'same loss (with label smoothing) and accuracy');
  await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, shuffle: false });
  await loaded.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, shuffle: false });
  weightsEqual(t, model, loaded, 'amsgrad state and schedule step restored');
  const uncompiled = await kiln.models.loadModel(file, { compile: false });
  t.is(uncompiled.optimizer, undefined);
});

test('saveWeights / loadWeights put the same weights into a model of the same architecture', async (t) => {
  const { model, x } = await trainedModel('multi_input');
  const file = join(directory, 'multi.weights.h5');
  await model.saveWeights(file);
  const fresh = kiln.models.cloneModel(model);
  t.notDeepEqual(Array.from(fresh.getWeights()[0].dataSync()), Array.from(model.getWeights()[0].dataSync()), 'a clone starts from new weights');
  await fresh.loadWeights(file);
  weightsEqual(t, model, fresh, 'loaded weights');
  t.deepEqual(
    (await predictAll(fresh, x)).map((p) => Array.from(p)),
    (await predictAll(model, x)).map((p) => Array.from(p)),
  );
  // Weights also load from whole-model files.
  await model.save(join(directory, 'multi_whole.h5'));
  const fromLegacy = kiln.models.cloneModel(model);
  await fromLegacy.loadWeights(join(directory, 'multi_whole.h5'));
  weightsEqual(t, model, fromLegacy, 'from a legacy .h5');
  await t.throwsAsync(model.saveWeights(join(directory, 'multi.h5')), { instanceOf: kiln.ValueError, message: /must end in `\.weights\.h5`/ });
  const other = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [4] })]);
  await t.throwsAsync(other.loadWeights(file), { instanceOf: kiln.FileFormatError, message: /expected 2 variables, but received 0|shape/ });
});

test('toJSON / modelFromJSON rebuild the architecture, as Keras to_json / model_from_json', async (t) => {
  const { model, x } = await trainedModel('multi_input');
  const json = model.toJSON();
  const parsed = JSON.parse(json);
  t.is(parsed.class_name, 'Functional');
  t.deepEqual(parsed.config.input_layers, [
    ['a', 0, 0],
    ['b', 0, 0],
  ]);
  const shared = parsed.config.layers.find((l: { name: string }) => l.name === 'shared');
  t.is(shared.inbound_nodes.length, 2, 'the shared layer is called twice');
  t.is(shared.config.units, 5);
  t.is(shared.config.use_bias, true, 'Keras spelling');
  const rebuilt = kiln.models.modelFromJSON(json);
  t.deepEqual(
    rebuilt.layers.map((l) => [l.constructor.name, l.name]),
    model.layers.map((l) => [l.constructor.name, l.name]),
  );
  rebuilt.setWeights(model.getWeights());
  t.deepEqual(
    (await predictAll(rebuilt, x)).map((p) => Array.from(p)),
    (await predictAll(model, x)).map((p) => Array.from(p)),
  );
  t.throws(() => kiln.models.modelFromJSON('{"class_name": "Sequential"'), { instanceOf: kiln.FileFormatError, message: /not valid JSON/ });
});

test('cloneModel copies the architecture with new weights, shared layers included', async (t) => {
  const { model } = await trainedModel('multi_input');
  const clone = kiln.models.cloneModel(model);
  t.is(clone.weights.length, model.weights.length, 'the shared Dense has one set of weights');
  t.deepEqual(
    clone.layers.map((l) => l.getConfig()),
    model.layers.map((l) => l.getConfig()),
  );
  t.not(clone.layers[2], model.layers[2]);
  t.is(clone.optimizer, undefined, 'a clone is not compiled (as in Keras)');
});

/** A custom layer with an option and a weight: y = x * scale * factor. */
class Scale extends kiln.layers.Layer {
  readonly factor: number;
  scale!: kiln.Variable;
  constructor(args: kiln.layers.LayerArgs & { factor?: number } = {}) {
    super(args, ['factor']);
    this.factor = args.factor ?? 1;
  }
  build(inputShape: (number | null)[]) {
    this.scale = this.addWeight({ name: 'scale', shape: [inputShape[inputShape.length - 1] as number], initializer: 'random_uniform' });
  }
  call(inputs: kiln.layers.LayerInput) {
    return kiln.ops.mul(kiln.ops.mul(inputs as kiln.Tensor, this.scale as unknown as kiln.Tensor), this.factor);
  }
  getConfig() {
    return { ...super.getConfig(), factor: this.factor };
  }
}
kiln.utils.registerSerializable(Scale, { package: 'Tests' });

/** A custom loss: mean squared error under its own registered name. */
class HalvedMse extends kiln.losses.MeanSquaredError {}
kiln.utils.registerSerializable(HalvedMse, { package: 'Tests' });

test('registered custom layers and losses are found again by their registered name', async (t) => {
  kiln.setSeed(8);
  const model = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [2] }), new Scale({ factor: 3 })]);
  model.compile({ optimizer: 'sgd', loss: new HalvedMse() });
  const x = kiln.random.uniform([6, 2]);
  const y = kiln.random.uniform([6, 3]);
  await model.fit(x, y, { epochs: 1, verbose: 0 });
  const file = join(directory, 'custom.keras');
  await model.save(file);
  const config = JSON.parse(model.toJSON());
  t.is(config.config.layers[2].registered_name, 'Tests>Scale');
  const loaded = await kiln.models.loadModel(file);
  const scale = loaded.layers[1] as Scale;
  t.true(scale instanceof Scale);
  t.is(scale.factor, 3);
  t.deepEqual(Array.from((await loaded.predict(x)).dataSync()), Array.from((await model.predict(x)).dataSync()));
  t.deepEqual(await loaded.evaluate(x, y, { verbose: 0 }), await model.evaluate(x, y, { verbose: 0 }), 'compiled with the registered loss');
  // The same config naming a class nobody registered is refused with the fix in the message.
  const unknown = model
    .toJSON()
    .replace(/Tests>Scale/g, 'Tests>Missing')
    .replace(/"Scale"/g, '"Missing"');
  t.throws(() => kiln.models.modelFromJSON(unknown), { instanceOf: kiln.FileFormatError, message: /Could not locate layer class 'Tests>Missing'.*registerSerializable/ });
});

/** A layer whose weights cannot be read once `broken` is set: a save that fails midway. */
class Fragile extends kiln.layers.Dense {
  broken = false;
  get weights() {
    if (this.broken) throw new Error('disk full');
    return super.weights;
  }
  // .keras files read each layer's own weights (sublayers' sit in their own groups).
  get ownWeights() {
    if (this.broken) throw new Error('disk full');
    return super.ownWeights;
  }
}

for (const extension of ['keras', 'h5']) {
  test(`a failed .${extension} save leaves the previous file intact and no temporary file behind`, async (t) => {
    const folder = mkdtempSync(join(directory, 'atomic-'));
    const fragile = new Fragile(2);
    const model = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [2] }), fragile]);
    const file = join(folder, `model.${extension}`);
    await model.save(file);
    const good = readFileSync(file);
    fragile.broken = true;
    await t.throwsAsync(model.save(file), { message: /disk full/ });
    t.deepEqual(readFileSync(file), good, 'the previous file is untouched');
    t.deepEqual(readdirSync(folder), [`model.${extension}`], 'no temporary file is left');
    fragile.broken = false;
    await t.throwsAsync(model.save(join(folder, 'missing', `model.${extension}`)), { instanceOf: kiln.FileFormatError, message: /does not exist/ });
    t.false(existsSync(join(folder, 'missing')));
    await t.throwsAsync(model.save(join(folder, 'model.txt')), { instanceOf: kiln.ValueError, message: /Invalid filepath extension/ });
  });
}

test('layers added after the saving code (Conv2DTranspose, Cropping2D, Dot, ...) save and load through the kiln.layers exports', async (t) => {
  const { model, x } = await trainedModel('newer_layers');
  for (const extension of ['keras', 'h5']) {
    const file = join(directory, `newer.${extension}`);
    await model.save(file);
    const loaded = await kiln.models.loadModel(file);
    t.deepEqual(
      loaded.layers.map((l) => l.constructor.name),
      model.layers.map((l) => l.constructor.name),
    );
    t.deepEqual(
      loaded.layers.map((l) => l.getConfig()),
      model.layers.map((l) => l.getConfig()),
    );
    t.deepEqual(
      (await predictAll(loaded, x)).map((p) => Array.from(p)),
      (await predictAll(model, x)).map((p) => Array.from(p)),
    );
  }
});

test("Masking, TimeDistributed and Bidirectional save and load (.keras, and .h5 with the two directions' weights apart)", async (t) => {
  const inputs = kiln.Input({ shape: [5, 3] });
  const masked = new kiln.layers.Masking({ maskValue: 0 }).apply(inputs);
  const steps = new kiln.layers.TimeDistributed(new kiln.layers.Dense(4)).apply(masked);
  const both = new kiln.layers.Bidirectional(new kiln.layers.LSTM(3)).apply(steps);
  const model = new kiln.Model({ inputs, outputs: new kiln.layers.Dense(1).apply(both) });
  // Zeros in some steps, so that the mask skips them.
  const x = kiln.tensor(
    Float32Array.from({ length: 2 * 5 * 3 }, (_, i) => (i % 7 === 0 ? 0 : i / 30)),
    [2, 5, 3],
  );
  for (const extension of ['keras', 'h5']) {
    const file = join(directory, `wrappers.${extension}`);
    await model.save(file);
    const loaded = await kiln.models.loadModel(file);
    t.deepEqual(
      loaded.layers.map((l) => l.getConfig()),
      model.layers.map((l) => l.getConfig()),
      extension,
    );
    weightsEqual(t, model, loaded, extension);
    t.deepEqual(
      (await predictAll(loaded, [x])).map((p) => Array.from(p)),
      (await predictAll(model, [x])).map((p) => Array.from(p)),
      extension,
    );
  }
});
