// The data preprocessing layers (CategoryEncoding, Discretization, Hashing, StringLookup,
// IntegerLookup, TextVectorization) against Keras 3's outputs in keras_preprocessing.json.
// Regenerate it with scripts/fixtures/keras_preprocessing.py (Keras + tensorflow-cpu, which
// Keras' text and lookup layers need on every backend); no Python is needed here.
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixture: any = JSON.parse(readFileSync(new URL('./fixtures/keras_preprocessing.json', import.meta.url), 'utf8'));

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
function camelArgs(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [camel(k), v]));
}

function closeTo(t: ExecutionContext, actual: kiln.Tensor, expected: unknown, tolerance = 1e-6) {
  t.deepEqual(actual.shape, shapeOf(expected));
  const want = [expected].flat(Infinity as 1) as number[];
  const got = Array.from(actual.dataSync());
  got.forEach((v, i) => t.true(Math.abs(v - want[i]) <= tolerance * Math.max(1, Math.abs(want[i])), `at ${i}: ${v} vs Keras ${want[i]}`));
}

function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  return shape;
}

test("hashBucketFast is TensorFlow's FarmHash64 bucket for every length branch and UTF-8 text", (t) => {
  // Through Hashing: one bin per bucket count, for all the strings at once.
  for (const [buckets, expected] of Object.entries(fixture.farmhash.buckets as Record<string, number[]>)) {
    if (Number(buckets) > 2 ** 31) continue; // bins are int32
    const bins = new kiln.layers.Hashing(Number(buckets)).apply<kiln.Tensor>(fixture.farmhash.texts);
    t.deepEqual(Array.from(bins.dataSync()), expected, `${buckets} buckets`);
  }
});

for (const c of fixture.category_encoding) {
  test(`CategoryEncoding ${c.outputMode} of shape [${shapeOf(c.x)}] matches Keras`, (t) => {
    const layer = new kiln.layers.CategoryEncoding(c.numTokens, { outputMode: c.outputMode });
    closeTo(t, layer.apply<kiln.Tensor>(c.x), c.y);
  });
}

test('Discretization with bin boundaries matches Keras (int and one_hot)', (t) => {
  const { x, boundaries } = fixture.discretization;
  for (const c of boundaries) {
    const layer = new kiln.layers.Discretization({ binBoundaries: c.binBoundaries, outputMode: c.outputMode });
    const input = c.outputMode === 'one_hot' ? x.map((row: number[]) => row.slice(0, 1)) : x;
    const y = layer.apply<kiln.Tensor>(input);
    closeTo(t, y, c.y);
    if (c.outputMode === 'int') t.is(y.dtype, 'int32');
  }
});

for (const [i, c] of fixture.discretization.adapted.entries()) {
  test(`Discretization.adapt learns Keras' quantile boundaries (case ${i}: ${c.data.length} values, ${c.numBins} bins, ${c.batches} batches)`, async (t) => {
    const layer = new kiln.layers.Discretization({ numBins: c.numBins, epsilon: c.epsilon });
    const data = Float32Array.from(c.data);
    if (c.batches === 1) await layer.adapt(kiln.tensor(data));
    else {
      // numpy.array_split: the first (n mod k) parts one longer.
      const size = Math.floor(data.length / c.batches);
      const extra = data.length % c.batches;
      const parts: kiln.Tensor[] = [];
      for (let b = 0, at = 0; b < c.batches; b++) {
        const n = size + (b < extra ? 1 : 0);
        parts.push(kiln.tensor(data.slice(at, at + n)));
        at += n;
      }
      await layer.adapt(parts);
    }
    t.is(layer.binBoundaries!.length, c.binBoundaries.length);
    layer.binBoundaries!.forEach((b, k) => t.is(Math.fround(b), Math.fround(c.binBoundaries[k]), `boundary ${k}`));
    closeTo(t, layer.apply<kiln.Tensor>(fixture.discretization.x), c.y);
  });
}

for (const [i, c] of fixture.hashing.entries()) {
  test(`Hashing ${JSON.stringify(c.args)} (case ${i}) matches Keras`, (t) => {
    const layer = new kiln.layers.Hashing(camelArgs(c.args));
    closeTo(t, layer.apply<kiln.Tensor>(c.x), c.y);
  });
}

for (const [i, c] of fixture.string_lookup.entries()) {
  test(`StringLookup ${JSON.stringify(c.args)}${c.adapt ? ' adapted' : ''} (case ${i}) matches Keras`, async (t) => {
    const layer = new kiln.layers.StringLookup(camelArgs(c.args));
    if (c.adapt)
      await layer.adapt([
        ['a', 'b', 'c', 'a'],
        ['c', 'd', 'a', 'e'],
        ['e', 'a', 'b', 'f'],
        ['zz', 'a', 'd', 'c'],
      ]);
    t.deepEqual(layer.getVocabulary(), c.vocabulary);
    const y = layer.apply<kiln.Tensor>(c.x);
    closeTo(t, y, c.y, 1e-6);
    t.is(y.dtype, c.args.output_mode && c.args.output_mode !== 'int' ? 'float32' : 'int32');
    if (c.idfWeights) layer.getIdfWeights()!.forEach((w, k) => t.true(Math.abs(w - c.idfWeights[k]) < 1e-6, `idf ${k}: ${w} vs ${c.idfWeights[k]}`));
  });
}

test("StringLookup with invert maps indices back to Keras' strings", (t) => {
  const c = fixture.string_lookup_invert;
  const layer = new kiln.layers.StringLookup({ vocabulary: c.vocabulary, invert: true, maskToken: '' });
  t.deepEqual(layer.apply(c.x), c.y);
});

for (const [i, c] of fixture.integer_lookup.entries()) {
  test(`IntegerLookup ${JSON.stringify(c.args)}${c.adapt ? ' adapted' : ''} (case ${i}) matches Keras`, async (t) => {
    const layer = new kiln.layers.IntegerLookup(camelArgs(c.args));
    if (c.adapt)
      await layer.adapt(
        kiln.tensor(
          [
            [12, 1138, 42, 12],
            [42, 1138, 12, 7],
            [7, 7, 12, 99],
          ],
          undefined,
          'int32',
        ),
      );
    t.deepEqual(layer.getVocabulary(), c.vocabulary);
    closeTo(t, layer.apply<kiln.Tensor>(c.x), c.y);
  });
}

for (const [i, c] of fixture.text_vectorization.entries()) {
  test(`TextVectorization ${JSON.stringify(c.args)} (case ${i}) matches Keras`, async (t) => {
    const layer = new kiln.layers.TextVectorization(camelArgs(c.args));
    if (!c.args.vocabulary) await layer.adapt(fixture.text_vectorization_inputs.corpus);
    t.deepEqual(layer.getVocabulary(), c.vocabulary);
    const y = layer.apply<kiln.Tensor>(fixture.text_vectorization_inputs.queries);
    closeTo(t, y, c.y, 1e-6);
    if (c.idfWeights) layer.getIdfWeights()!.forEach((w, k) => t.true(Math.abs(w - c.idfWeights[k]) < 1e-6, `idf ${k}: ${w} vs ${c.idfWeights[k]}`));
  });
}

test('TextVectorization adapts from a kiln.data-style async generator of batches as from one array', async (t) => {
  const corpus: string[] = fixture.text_vectorization_inputs.corpus;
  const whole = new kiln.layers.TextVectorization({ outputSequenceLength: 6 });
  await whole.adapt(corpus);
  const batched = new kiln.layers.TextVectorization({ outputSequenceLength: 6 });
  await batched.adapt(
    (async function* () {
      yield corpus.slice(0, 2);
      yield corpus.slice(2);
    })(),
  );
  t.deepEqual(batched.getVocabulary(), whole.getVocabulary());
});

test('bad input: adapt() on empty data, TextVectorization given numbers, unknown outputMode', async (t) => {
  const text = new kiln.layers.TextVectorization();
  const empty = await t.throwsAsync(() => text.adapt([]), { instanceOf: kiln.ValueError });
  t.regex(empty!.message, /adapt\(\) received no data/);
  await t.throwsAsync(() => new kiln.layers.StringLookup().adapt([]), { instanceOf: kiln.ValueError, message: /no data/ });
  await t.throwsAsync(() => new kiln.layers.Discretization({ numBins: 3 }).adapt([]), { instanceOf: kiln.ValueError, message: /no data/ });
  const numbers = t.throws(() => new kiln.layers.TextVectorization({ vocabulary: ['a'] }).apply([1, 2, 3]), { instanceOf: kiln.ValueError });
  t.regex(numbers!.message, /TextVectorization.*expected strings.*got numbers/);
  await t.throwsAsync(() => new kiln.layers.TextVectorization().adapt(kiln.tensor([1, 2])), { instanceOf: kiln.ValueError, message: /expected strings/ });
  for (const make of [
    () => new kiln.layers.TextVectorization({ outputMode: 'binary' as never }),
    () => new kiln.layers.StringLookup({ outputMode: 'one-hot' as never }),
    () => new kiln.layers.CategoryEncoding(3, { outputMode: 'tf_idf' as never }),
    () => new kiln.layers.Hashing(3, { outputMode: 'tf_idf' as never }),
  ]) {
    t.throws(make, { instanceOf: kiln.ValueError, message: /unknown `outputMode`/ });
  }
  t.throws(() => new kiln.layers.TextVectorization({ maskToken: 'x' } as never), { instanceOf: kiln.ValueError, message: /maskToken/ });
  t.throws(() => new kiln.layers.StringLookup().apply(['a']), { instanceOf: kiln.ValueError, message: /no vocabulary/ });
  t.throws(() => new kiln.layers.StringLookup({ vocabulary: ['a', 'a'] }), { instanceOf: kiln.ValueError, message: /repeated/ });
  t.throws(() => new kiln.layers.StringLookup({ vocabulary: ['a'], numOovIndices: 0 }).apply(['b']), { instanceOf: kiln.ValueError, message: /OOV value "b"/ });
  t.throws(() => new kiln.layers.CategoryEncoding(3).apply([[0, 5]]), { instanceOf: kiln.ValueError, message: /0 <= values < 3/ });
  t.throws(() => new kiln.layers.Hashing(4, { salt: 7 }), { instanceOf: kiln.ValueError, message: /salt/ });
  // In a model, StringLookup reads a string Input (text_model.spec.ts); a float32 one is refused.
  const input = kiln.Input({ shape: [1] });
  t.throws(() => new kiln.layers.StringLookup({ vocabulary: ['a'] }).apply(input), { instanceOf: kiln.ValueError, message: /reads strings: in a model it takes a string Input/ });
});

test("keras.io's text classification flow: adapt TextVectorization on raw text, vectorize batches in JavaScript, train on the ids", async (t) => {
  kiln.setSeed(4);
  // Reviews of random filler words with one telling word; the label says which kind it was.
  const good = ['great', 'wonderful', 'superb', 'loved'];
  const bad = ['awful', 'boring', 'terrible', 'hated'];
  const filler = ['the', 'movie', 'was', 'a', 'plot', 'with', 'actors', 'and', 'story', 'film'];
  let state = 7;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = (words: string[]) => words[Math.floor(random() * words.length)];
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 256; i++) {
    const words = Array.from({ length: 6 }, () => pick(filler));
    words.splice(Math.floor(random() * 6), 0, `${pick(i % 2 ? good : bad)}${random() < 0.3 ? '!' : ''}`);
    texts.push(words.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.');
    labels.push(i % 2);
  }
  const vectorize = new kiln.layers.TextVectorization({ maxTokens: 40, outputSequenceLength: 10 });
  await vectorize.adapt(texts);
  // The strings stay in JavaScript: each batch is vectorized before the engine sees it.
  const dataset = kiln.data.Dataset.fromGenerator(function* () {
    for (let i = 0; i < texts.length; i += 32) yield [vectorize.apply<kiln.Tensor>(texts.slice(i, i + 32)), kiln.tensor(labels.slice(i, i + 32), [Math.min(32, texts.length - i), 1])];
  });
  const inputs = kiln.Input({ shape: [10], dtype: 'int32' });
  let h = new kiln.layers.Embedding(40, 8).apply(inputs);
  h = new kiln.layers.GlobalAveragePooling1D().apply(h);
  const model = new kiln.Model({ inputs, outputs: new kiln.layers.Dense(1, { activation: 'sigmoid' }).apply(h) });
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.05 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  await model.fit(dataset, { epochs: 8, verbose: 0 });
  const ids = vectorize.apply<kiln.Tensor>(['What a wonderful film.', 'The plot was boring!']);
  t.is(ids.dtype, 'int32');
  const [, accuracy] = (await model.evaluate(vectorize.apply<kiln.Tensor>(texts), kiln.tensor(labels, [labels.length, 1]), { verbose: 0 })) as number[];
  t.true(accuracy > 0.9, `accuracy ${accuracy}`);
  const scores = Array.from((await model.predict(ids)).dataSync());
  t.true(scores[0] > 0.5 && scores[1] < 0.5, JSON.stringify(scores));
});

test('a Keras end-to-end text model (string Input into TextVectorization) loads with its vocabulary from the assets and predicts on strings', async (t) => {
  const file = new URL('./fixtures/saving/keras_text_vectorization.keras', import.meta.url).pathname;
  const model = await kiln.models.loadModel(file);
  const vectorizer = model.layers[1] as kiln.layers.TextVectorization;
  t.is(vectorizer.constructor.name, 'TextVectorization');
  const corpus: string[] = fixture.text_vectorization_inputs.corpus;
  // Keras adapted it on the corpus: an adapt() here learns the same vocabulary.
  const adapted = new kiln.layers.TextVectorization({ maxTokens: 20, outputSequenceLength: 5 });
  await adapted.adapt(corpus);
  t.deepEqual(vectorizer.getVocabulary(), adapted.getVocabulary());
  const scores = await model.predict(corpus.slice(0, 3), { verbose: 0 });
  t.deepEqual(scores.shape, [3, 1]);
  t.true(Array.from(scores.dataSync()).every(Number.isFinite));
});

test('every data preprocessing layer rebuilds from its getConfig() with the same outputs', async (t) => {
  const queries: string[] = fixture.text_vectorization_inputs.queries;
  const cases: [kiln.layers.Layer, unknown][] = [
    [
      new kiln.layers.CategoryEncoding(5, { outputMode: 'count' }),
      [
        [0, 1, 1],
        [4, 4, 2],
      ],
    ],
    [new kiln.layers.Hashing(7, { maskValue: '' }), ['a', '', 'b']],
    [
      new kiln.layers.StringLookup({ vocabulary: ['a', 'b'], numOovIndices: 2, outputMode: 'multi_hot' }),
      [
        ['a', 'z'],
        ['b', 'b'],
      ],
    ],
    [new kiln.layers.IntegerLookup({ vocabulary: [5, 9], maskToken: 0 }), [[5, 0, 9, 7]]],
    [new kiln.layers.TextVectorization({ vocabulary: ['the', 'cat'], ngrams: 2, outputSequenceLength: 6 }), queries],
  ];
  const adapted = new kiln.layers.Discretization({ numBins: 4 });
  await adapted.adapt(kiln.tensor(fixture.discretization.adapted[0].data));
  cases.push([adapted, fixture.discretization.x]);
  for (const [layer, input] of cases) {
    const Layer = layer.constructor as unknown as { new (c: object): kiln.layers.Layer; fromConfig?: (c: object) => kiln.layers.Layer };
    const rebuilt = Layer.fromConfig ? Layer.fromConfig(layer.getConfig()) : new Layer(layer.getConfig());
    t.deepEqual(Array.from(rebuilt.apply<kiln.Tensor>(input).dataSync()), Array.from(layer.apply<kiln.Tensor>(input).dataSync()), layer.constructor.name);
  }
});
