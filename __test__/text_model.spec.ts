// Text preprocessing inside a model, as Keras users write it (keras.io's "text classification
// from scratch"): a string Input into TextVectorization (or StringLookup), then the layers that
// train. The string layers run in JavaScript on each batch and the engine gets their int32 ids.
// Keras -> kiln: scripts/fixtures/keras_text_model.py trained and saved such models with Keras
// (the vocabulary in the .keras archive's assets) and recorded Keras' predictions on fixed
// sentences (keras_text_model.json); kiln loads them and predicts the same.
// kiln -> Keras: kiln saves them, and a model it adapted and trained itself, and Keras loads those
// files and predicts the same (skipped, with the reason, where no Python with Keras and
// TensorFlow is found: Keras' text layers need TensorFlow).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';
import { findPython } from './helpers/python.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_text_model.json', import.meta.url), 'utf8'));
const fixturePath = (file: string) => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
const script = fileURLToPath(new URL('../scripts/fixtures/keras_text_model.py', import.meta.url));

const queries: string[] = fixture.queries;
const queryLabels: number[] = fixture.query_labels;

function maxDifference(actual: kiln.Tensor, expected: number[][] | number[]): number {
  const values = actual.dataSync();
  const flat = (expected as unknown[]).flat(Infinity) as number[];
  if (values.length !== flat.length) return Infinity;
  return flat.reduce((m, e, i) => Math.max(m, Math.abs(values[i] - e)), 0);
}

/** A string classifier as keras.io builds it, adapted on `texts`. */
async function textClassifier(texts: string[]): Promise<kiln.Model> {
  const vectorize = new kiln.layers.TextVectorization({ maxTokens: 80, outputSequenceLength: 12 });
  await vectorize.adapt(texts);
  const inputs = kiln.Input({ shape: [1], dtype: 'string' });
  let x = vectorize.apply(inputs);
  x = new kiln.layers.Embedding(80, 16).apply(x);
  x = new kiln.layers.GlobalAveragePooling1D().apply(x);
  x = new kiln.layers.Dense(16, { activation: 'relu' }).apply(x);
  const model = new kiln.Model({ inputs, outputs: new kiln.layers.Dense(1, { activation: 'sigmoid' }).apply(x) });
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.01 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  return model;
}

test("Keras' end-to-end text classifier (.keras, vocabulary in its assets) loads and predicts, evaluates as Keras", async (t) => {
  const model = await kiln.models.loadModel(fixturePath(fixture.classifier.file));
  t.deepEqual(
    model.layers.map((l) => l.constructor.name),
    ['InputLayer', 'TextVectorization', 'Embedding', 'Dropout', 'GlobalAveragePooling1D', 'Dense', 'Dense'],
  );
  const vectorize = model.layers[1] as kiln.layers.TextVectorization;
  t.deepEqual(vectorize.getVocabulary(), fixture.classifier.vocabulary);
  t.deepEqual(vectorize.apply<kiln.Tensor>(queries).toArray(), fixture.classifier.ids);
  const predicted = await model.predict(queries, { verbose: 0 });
  t.deepEqual(predicted.shape, [queries.length, 1]);
  t.log(`predict: largest difference from Keras ${maxDifference(predicted, fixture.classifier.predictions).toExponential(2)}`);
  t.true(maxDifference(predicted, fixture.classifier.predictions) < 1e-5, `predict differs from Keras by ${maxDifference(predicted, fixture.classifier.predictions)}`);
  // One string per row as [n, 1] too, and synchronously.
  const onBatch = model.predictOnBatch(queries.map((q) => [q]));
  t.true(maxDifference(onBatch, fixture.classifier.predictions) < 1e-5, `predictOnBatch differs from Keras by ${maxDifference(onBatch, fixture.classifier.predictions)}`);
  // Keras' model(x) on strings, computed now.
  t.true(maxDifference(model.apply<kiln.Tensor>(queries), fixture.classifier.predictions) < 1e-5);
  // Keras' compile settings came with the file: evaluate on the labelled sentences gives Keras' numbers.
  const [loss, accuracy] = (await model.evaluate(queries, kiln.tensor(queryLabels, [queryLabels.length, 1]), { batchSize: queries.length, verbose: 0 })) as number[];
  t.log(`evaluate: loss ${loss} (Keras ${fixture.classifier.evaluation.loss}), accuracy ${accuracy}`);
  t.true(Math.abs(loss - fixture.classifier.evaluation.loss) < 1e-5, `loss ${loss}, Keras ${fixture.classifier.evaluation.loss}`);
  t.is(accuracy, fixture.classifier.evaluation.accuracy);
});

test("Keras' Sequential of a string Input of shape () into an adapted StringLookup loads and predicts as Keras", async (t) => {
  const model = await kiln.models.loadModel(fixturePath(fixture.string_lookup.file));
  t.true(model instanceof kiln.Sequential);
  t.deepEqual((model.layers[0] as kiln.layers.StringLookup).getVocabulary(), fixture.string_lookup.vocabulary);
  const predicted = model.predictOnBatch(fixture.string_lookup.queries);
  t.deepEqual(predicted.shape, [fixture.string_lookup.queries.length, 3]);
  t.log(`largest difference from Keras ${maxDifference(predicted, fixture.string_lookup.predictions).toExponential(2)}`);
  t.true(maxDifference(predicted, fixture.string_lookup.predictions) < 1e-5, `differs from Keras by ${maxDifference(predicted, fixture.string_lookup.predictions)}`);
});

test('a string classifier adapts and trains in kiln from arrays of sentences to clearly better than chance on held-out reviews', async (t) => {
  kiln.setSeed(7);
  const texts: string[] = fixture.corpus;
  const labels: number[] = fixture.labels;
  const split = 120;
  const model = await textClassifier(texts.slice(0, split));
  const history = await model.fit(texts.slice(0, split), kiln.tensor(labels.slice(0, split), [split, 1]), { epochs: 12, batchSize: 16, verbose: 0 });
  t.true(history.history.loss.at(-1)! < history.history.loss[0], JSON.stringify(history.history.loss));
  const heldOut = texts.slice(split);
  const [, accuracy] = (await model.evaluate(heldOut, kiln.tensor(labels.slice(split), [heldOut.length, 1]), { verbose: 0 })) as number[];
  t.log(`held-out accuracy ${accuracy} on ${heldOut.length} reviews (chance 0.5)`);
  t.true(accuracy >= 0.85, `held-out accuracy ${accuracy} on ${heldOut.length} reviews`);
  // Training goes through the same string stage as trainOnBatch and the validation data.
  const logs = (await model.trainOnBatch(heldOut, kiln.tensor(labels.slice(split), [heldOut.length, 1]), { returnDict: true })) as Record<string, number>;
  t.true(Number.isFinite(logs.loss));
});

test('several inputs: text as multi_hot and ids, a hashed category and a number, fed as a list or by Input name, saved and reloaded', async (t) => {
  kiln.setSeed(5);
  const review = kiln.Input({ shape: [1], dtype: 'string', name: 'review' });
  const city = kiln.Input({ shape: [], dtype: 'string', name: 'city' });
  const stars = kiln.Input({ shape: [1], name: 'stars' });
  const words = new kiln.layers.TextVectorization({ vocabulary: ['good', 'bad', 'film'], outputMode: 'multi_hot' });
  const ids = new kiln.layers.TextVectorization({ vocabulary: ['good', 'bad', 'film'], outputSequenceLength: 5 });
  const hashing = new kiln.layers.Hashing(8, { outputMode: 'one_hot' });
  const bag = words.apply(review);
  const hashed = hashing.apply(city);
  const pooled = new kiln.layers.GlobalAveragePooling1D().apply(new kiln.layers.Embedding(5, 2).apply(ids.apply(review)));
  t.deepEqual(
    [bag.shape, hashed.shape, pooled.shape],
    [
      [null, 4],
      [null, 8],
      [null, 2],
    ],
  );
  const model = new kiln.Model({ inputs: [review, city, stars], outputs: new kiln.layers.Dense(1).apply(new kiln.layers.Concatenate().apply([bag, hashed, stars, pooled])) });
  const data = { review: ['good film', 'bad bad film today'], city: ['paris', 'rome'], stars: [[4], [1]] };
  const byName = model.predictOnBatch(data);
  const byList = await model.predict([data.review, data.city, data.stars], { verbose: 0 });
  t.deepEqual(Array.from(byList.dataSync()), Array.from(byName.dataSync()));
  // The same numbers as the layers applied to the data by hand, then the rest of the model.
  const dense = model.layers.at(-1) as kiln.layers.Dense;
  const features = kiln.ops.concat(
    [
      words.apply<kiln.Tensor>(data.review),
      hashing.apply<kiln.Tensor>(data.city),
      kiln.tensor(data.stars),
      kiln.ops.mean(model.layers.find((l) => l instanceof kiln.layers.Embedding)!.apply<kiln.Tensor>(ids.apply<kiln.Tensor>(data.review)), 1),
    ],
    -1,
  );
  t.true(maxDifference(dense.apply<kiln.Tensor>(features), byName.toArray() as number[][]) < 1e-6);
  const directory = mkdtempSync(join(tmpdir(), 'kiln-text-'));
  try {
    await model.save(join(directory, 'several.keras'));
    const reloaded = await kiln.models.loadModel(join(directory, 'several.keras'));
    t.deepEqual(Array.from(reloaded.predictOnBatch(data).dataSync()), Array.from(byName.dataSync()));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  t.throws(() => model.predictOnBatch(['good film']), { instanceOf: kiln.ValueError, message: /has 3 inputs \("review", "city", "stars"\); give x as a list of 3 arrays/ });
});

/** Keras' predictions for kiln's files (the script's --verify), or why they cannot be had. */
function kerasPredictions(files: string[]): { results?: Record<string, { texts: string[]; predictions: number[][]; vocabulary: string[] }>; reason?: string } {
  const local = fileURLToPath(new URL('../.kiln-tmp/tfenv/bin/python', import.meta.url));
  const found = existsSync(local) ? { python: local } : findPython(['keras', 'tensorflow']);
  if (!('python' in found)) return { reason: found.missing };
  const run = spawnSync(found.python, [script, '--verify', ...files], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${script} --verify failed (${run.status}): ${run.stderr.slice(-3000)}`);
  return { results: JSON.parse(run.stdout.trim().split('\n').at(-1)!) };
}

test("kiln's saved text models (Keras' reloaded, and one kiln adapted and trained) load in kiln and in Keras with the same predictions", async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'kiln-text-'));
  try {
    const kerasClassifier = await kiln.models.loadModel(fixturePath(fixture.classifier.file));
    const kerasLookup = await kiln.models.loadModel(fixturePath(fixture.string_lookup.file));
    kiln.setSeed(11);
    const trained = await textClassifier(fixture.corpus);
    await trained.fit(fixture.corpus, kiln.tensor(fixture.labels, [fixture.labels.length, 1]), { epochs: 3, verbose: 0 });
    const models: [string, kiln.Model, string[]][] = [
      [join(directory, 'classifier.keras'), kerasClassifier, queries],
      [join(directory, 'lookup.keras'), kerasLookup, fixture.string_lookup.queries],
      [join(directory, 'trained.keras'), trained, queries],
    ];
    const expected = new Map<string, kiln.Tensor>();
    for (const [file, model, texts] of models) {
      await model.save(file);
      const reloaded = await kiln.models.loadModel(file);
      const before = model.predictOnBatch(texts);
      t.true(maxDifference(reloaded.predictOnBatch(texts), before.toArray() as number[][]) === 0, `${file} reloads in kiln with other predictions`);
      expected.set(file, before);
    }
    const { results, reason } = kerasPredictions(models.map(([file]) => file));
    if (!results) {
      t.log(`skipped the Keras side: ${reason}`);
      return;
    }
    for (const [file, model, texts] of models) {
      t.deepEqual(results[file].texts, texts);
      const difference = maxDifference(expected.get(file)!, results[file].predictions);
      t.log(`${file}: Keras' predictions differ from kiln's by ${difference.toExponential(2)}`);
      t.true(difference < 1e-5, `Keras predicts ${file} differently from kiln, by ${difference}`);
      const lookup = model.layers.find((l) => l instanceof kiln.layers.TextVectorization || l instanceof kiln.layers.StringLookup) as kiln.layers.StringLookup;
      t.deepEqual(results[file].vocabulary, lookup.getVocabulary(), `${file}: Keras reads kiln's vocabulary`);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('bad input: numbers to a string input, numbers mixed in, strings to a numeric model, a string Input no layer reads, a string layer after a numeric one', async (t) => {
  const model = await kiln.models.loadModel(fixturePath(fixture.classifier.file));
  const tensorGiven = await t.throwsAsync(() => model.predict(kiln.tensor([1, 2, 3], [3, 1])), { instanceOf: kiln.ValueError });
  t.regex(tensorGiven!.message, /Input 0 \("input_layer"\) of model ".*" has dtype 'string': it takes text as JavaScript strings.*got a float32 Tensor of shape \[3, 1\]/);
  t.throws(() => model.predictOnBatch(['a film', 42, 'more']), { instanceOf: kiln.ValueError, message: /has dtype 'string'.*got 42 at position 1/ });
  t.throws(() => model.predictOnBatch([['a', 'b']]), { instanceOf: kiln.ShapeError, message: /expected shape \[null, 1\], got \[1, 2\]/ });
  await t.throwsAsync(() => model.fit([[1], [2]], [[1], [0]], { verbose: 0 }), { instanceOf: kiln.ValueError, message: /has dtype 'string'/ });

  const numbers = kiln.Input({ shape: [4] });
  const numeric = new kiln.Model({ inputs: numbers, outputs: new kiln.layers.Dense(1).apply(numbers) });
  t.throws(() => numeric.predictOnBatch(['a film']), { instanceOf: kiln.ValueError, message: /got text.*its inputs take numbers.*kiln\.Input\(\{ shape: \[1\], dtype: 'string' \}\)/ });

  const text = kiln.Input({ shape: [1], dtype: 'string' });
  const other = kiln.Input({ shape: [2] });
  t.throws(() => new kiln.Model({ inputs: [text, other], outputs: new kiln.layers.Dense(1).apply(other) }), {
    instanceOf: kiln.ValueError,
    message: /input ".*" has dtype 'string', but no layer of the model reads it/,
  });
  t.throws(() => new kiln.layers.Dense(2).apply(text), { instanceOf: kiln.ValueError, message: /Layer "dense.*" \(Dense\) cannot take the string tensor/ });
  t.throws(() => kiln.ops.add(text, 1), { instanceOf: kiln.ValueError, message: /cannot take the string tensor/ });
  t.throws(() => numeric.apply(kiln.Input({ shape: [4], dtype: 'string' })), { instanceOf: kiln.ValueError, message: /Input 0 of model ".*" cannot be the string tensor/ });
  t.throws(() => model.apply(kiln.Input({ shape: [1], dtype: 'string' })), {
    instanceOf: kiln.ValueError,
    message: /reads its inputs with preprocessing layers that run in JavaScript.*cannot be called on symbolic tensors inside another model/,
  });
  const vectorize = new kiln.layers.TextVectorization({ vocabulary: ['film'] });
  t.throws(() => vectorize.apply(new kiln.layers.Dense(3).apply(other)), {
    instanceOf: kiln.ValueError,
    message: /TextVectorization\) runs in JavaScript.*computed by layer "dense.*" inside the engine\. Put the string and lookup layers first/,
  });
  t.throws(() => vectorize.apply(other), { instanceOf: kiln.ValueError, message: /reads strings: in a model it takes a string Input.*got an input of dtype 'float32'/ });
  t.throws(() => new kiln.layers.StringLookup({ vocabulary: ['a'], invert: true }).apply(kiln.Input({ shape: [1], dtype: 'int32' })), { instanceOf: kiln.ValueError, message: /outputs strings/ });
  t.throws(() => kiln.serving.kilnPredictor(model), { instanceOf: kiln.ValueError, message: /takes strings, and the server takes float32 tensors only/ });
  // A Dataset holds tensors: text goes to fit/evaluate/predict as arrays.
  const stream = kiln.data.Dataset.fromGenerator(function* () {
    yield [['a film'], [1]];
  });
  await t.throwsAsync(() => model.evaluate(stream, { verbose: 0 }), { instanceOf: kiln.ValueError, message: /is a string; a Dataset holds tensors only.*as arrays of strings instead/ });
  // A learnt vocabulary has no place in the legacy .h5 format.
  const directory = mkdtempSync(join(tmpdir(), 'kiln-text-'));
  try {
    await t.throwsAsync(() => model.save(join(directory, 'text.h5')), { instanceOf: kiln.ValueError, message: /legacy \.h5 format cannot keep the vocabulary.*save as \.keras/ });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
