// Every built-in layer against Keras 3: outputs and gradients, from the fixture written by
// scripts/fixtures/keras_layers.py (regenerate it with that script; no Python is needed here).
// How the checks work: __test__/helpers/keras_layer_cases.ts.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { allClose, checkGradients, checkOutput, fitGradients, GRAD_ATOL, GRAD_RTOL, layerClass, readFixture } from './helpers/keras_layer_cases.js';

const fixture = readFixture('keras_layers.json');
// Layers whose Keras cases live in keras_layers_more.json (keras_layers_more.spec.ts).
const more = readFixture('keras_layers_more.json');

test('the fixture comes from Keras and covers every layer', (t) => {
  t.true(fixture.cases.length >= 40);
  t.regex(fixture.keras, /^3\./);
  // The recurrent extensions (masks, Bidirectional, TimeDistributed) have their own fixture, whose cases are chains of layers.
  const rnn = readFixture('keras_layers_rnn.json') as unknown as { cases: { layers: { class: string }[] }[] };
  // The convolution variants (depthwise, separable, grouped, 1-D transposed) have keras_conv_variants.json.
  const convVariants = readFixture('keras_conv_variants.json');
  // MultiHeadAttention has its own fixture too (keras_attention.json, multi_head_attention.spec.ts).
  const attention = readFixture('keras_attention.json') as unknown as { cases: unknown[] };
  // Attention, AdditiveAttention, GroupQueryAttention, the group/unit/RMS normalizations and the identity-shaped
  // regularization layers have keras_attention_norm.json (attention_norm_layers.spec.ts).
  const attentionNorm = readFixture('keras_attention_norm.json');
  // The preprocessing and augmentation layers have keras_preprocessing.json (keras_preprocessing.spec.ts,
  // preprocessing_augmentation.spec.ts): one section per data layer, augmentation cases and a saved model.
  const preprocessing = readFixture('keras_preprocessing.json') as unknown as Record<string, unknown> & { augmentation: { cases: { layer: string }[] }; saved_augmentation: { layers: string[] } };
  const dataLayers = {
    category_encoding: 'CategoryEncoding',
    discretization: 'Discretization',
    hashing: 'Hashing',
    string_lookup: 'StringLookup',
    integer_lookup: 'IntegerLookup',
    text_vectorization: 'TextVectorization',
  };
  const preprocessingLayers = [
    ...Object.entries(dataLayers)
      .filter(([key]) => key in preprocessing)
      .map(([, layer]) => layer),
    ...preprocessing.augmentation.cases.map((c) => c.layer),
    ...preprocessing.saved_augmentation.layers,
  ];
  // RandomCrop has keras_random_crop.json (preprocessing_random_crop.spec.ts), with a Keras-saved model.
  const randomCrop = readFixture('keras_random_crop.json') as unknown as { saved: { layers: string[] } };
  preprocessingLayers.push(...randomCrop.saved.layers);
  const covered = new Set([
    ...[...fixture.cases, ...more.cases, ...convVariants.cases, ...attentionNorm.cases].map((c) => c.layer),
    ...rnn.cases.flatMap((c) => c.layers.map((l) => l.class)),
    ...(attention.cases.length > 0 ? ['MultiHeadAttention'] : []),
    ...preprocessingLayers,
  ]);
  const missing: string[] = [];
  for (const name of Object.keys(kiln.layers)) {
    const cls = layerClass(name);
    if (typeof cls !== 'function' || !(cls.prototype instanceof kiln.layers.Layer)) continue;
    // Bases aside; merges, BatchNormalization's training statistics and Embedding's ids are tested in layers.spec.
    if (['Layer', 'InputLayer', 'BaseConv', 'BasePooling', 'BaseGlobalPooling', 'BaseRNN', 'BaseMerge', 'BatchNormalization', 'Embedding'].includes(name)) continue;
    if (['BaseMargins', 'BaseSpatialDropout', 'BaseConvTranspose', 'BaseDepthwiseConv', 'BaseSeparableConv', 'BaseImageAugmentation'].includes(name)) continue;
    // The preprocessing layers are checked in Keras-saved models (keras_applications_layers.spec).
    if (['CenterCrop', 'Normalization', 'Rescaling', 'Resizing'].includes(name)) continue;
    if (cls.prototype instanceof kiln.layers.BaseMerge && name !== 'Dot') continue;
    if (!covered.has(name)) missing.push(name);
  }
  t.deepEqual(missing, [], 'kiln.layers without a Keras fixture');
});

for (const c of fixture.cases) {
  test(`${c.name}: output`, (t) => checkOutput(t, c, fixture.batch));

  test(`${c.name}: gradients`, async (t) => {
    if (c.layer !== 'Dropout') return checkGradients(t, c);
    const { grads, layer } = await fitGradients(c);
    const n = c.x!.shape[0];
    const width = c.output.data.length / n;
    t.is(grads.length, 1 + c.weightGrads.length, "weights: the scale, then the layer's in Keras' order");
    c.weightGrads.forEach((g, i) => allClose(t, grads[1 + i], g, GRAD_ATOL, GRAD_RTOL, `gradient of weight ${i} (${layer.weights[i]?.name})`));
    // fit trains with dropout on: each value is kept and scaled by 1 / (1 - rate), or dropped.
    // With the training output y' = m x / (1 - rate) (m = 1 kept, 0 dropped) instead of the
    // inference output y = x the target was made from, d mse / d y' = R + 2 (y' - x) / (n width),
    // so the scale's gradient is the sum over the batch of m x (R + 2 (y' - x) / (n width)) / (1 - rate),
    // with R = Keras' input gradient at inference (identity). Every mask is tried.
    const rate = c.args[0] as number;
    const [x, inputGrad] = [c.x!, c.inputGrad!];
    const per = c.inputGradSum!.data.length;
    let kept = 0;
    for (let i = 0; i < per; i++) {
      const terms = Array.from({ length: n }, (_, b) => {
        const [xv, r] = [x.data[b * per + i], inputGrad.data[b * per + i]];
        return (xv * (r + (2 * (xv / (1 - rate) - xv)) / (n * width))) / (1 - rate);
      });
      const outcomes = Array.from({ length: 2 ** n }, (_, mask) => terms.reduce((s, v, b) => s + ((mask >> b) & 1 ? v : 0), 0));
      const match = outcomes.findIndex((o) => Math.abs(grads[0][i] - o) <= GRAD_ATOL + GRAD_RTOL * Math.abs(o));
      t.true(match >= 0, `scale gradient ${i}: ${grads[0][i]} is none of ${outcomes.join(', ')}`);
      kept += match >= 0 ? match.toString(2).split('1').length - 1 : 0;
    }
    t.true(kept > 0 && kept < n * per, `dropout drops some values in training and keeps others (kept ${kept} of ${n * per})`);
  });
}
