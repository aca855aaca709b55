// The layers of keras_layers_more.json against Keras 3 (transposed convolution, padding,
// cropping, upsampling, permutation, repetition, noise layers at inference, Dot), with the
// checks of helpers/keras_layer_cases.ts. Regenerate the fixture with
// scripts/fixtures/keras_layers_more.py; no Python is needed here.
import test from 'ava';
import { checkGradients, checkOutput, readFixture } from './helpers/keras_layer_cases.js';

const fixture = readFixture('keras_layers_more.json');
/** Noise layers train with random noise: their training behaviour is tested in layers_more.spec.ts. */
const NOISE = ['SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout'];

test('the fixture comes from Keras', (t) => {
  t.regex(fixture.keras, /^3\./);
  t.true(fixture.cases.length >= 30);
});

for (const c of fixture.cases) {
  test(`${c.name}: output`, (t) => checkOutput(t, c, fixture.batch));
  if (!NOISE.includes(c.layer)) test(`${c.name}: gradients`, (t) => checkGradients(t, c));
}
