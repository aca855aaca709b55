// The convolution variants and the 3-D family against Keras 3
// (scripts/fixtures/keras_conv_variants.py): DepthwiseConv1D/2D, SeparableConv1D/2D,
// Conv1D/Conv2D/Conv3D with `groups`, Conv1DTranspose, Conv3DTranspose, 3-D pooling, padding,
// cropping and upsampling, each layer's output and gradients with the checks of
// helpers/keras_layer_cases.ts; then three small models Keras saved with these layers
// (`.keras` and legacy `.h5`) load and predict what Keras predicts. No Python is needed here.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { fileURLToPath } from 'node:url';
import { allClose, checkGradients, checkOutput, type FixtureArray, readFixture, toTensor } from './helpers/keras_layer_cases.js';

const fixture = readFixture('keras_conv_variants.json') as ReturnType<typeof readFixture> & { savedModels: { name: string; x: FixtureArray; y: FixtureArray }[] };

test('the fixture comes from Keras', (t) => {
  t.regex(fixture.keras, /^3\./);
  t.true(fixture.cases.length >= 40);
  t.is(fixture.savedModels.length, 3);
});

for (const c of fixture.cases) {
  test(`${c.name}: output`, (t) => checkOutput(t, c, fixture.batch));
  test(`${c.name}: gradients`, (t) => checkGradients(t, c));
}

const saved = (file: string) => fileURLToPath(new URL(`./fixtures/saving/${file}`, import.meta.url));

for (const { name, x, y } of fixture.savedModels) {
  for (const ext of ['keras', 'h5']) {
    test(`${name}.${ext} saved by Keras loads and predicts what Keras predicts`, async (t) => {
      const model = await kiln.models.loadModel(saved(`${name}.${ext}`));
      const classes = model.layers.map((l) => l.constructor.name);
      if (name.endsWith('2d')) {
        t.true(classes.includes('DepthwiseConv2D') && classes.includes('SeparableConv2D'));
        t.deepEqual(
          model.layers.filter((l) => l instanceof kiln.layers.Conv2D).map((l) => (l as kiln.layers.Conv2D).groups),
          [4, 8],
        );
      } else if (name.endsWith('1d')) {
        t.true(['DepthwiseConv1D', 'SeparableConv1D', 'Conv1DTranspose'].every((c) => classes.includes(c)));
      } else {
        t.true(['Conv3D', 'Conv3DTranspose', 'MaxPooling3D', 'AveragePooling3D', 'ZeroPadding3D', 'Cropping3D', 'UpSampling3D', 'GlobalMaxPooling3D'].every((c) => classes.includes(c)));
      }
      const prediction = await model.predict(toTensor(x));
      t.deepEqual(prediction.shape, y.shape);
      // 1e-4 relative to the output's scale (Keras computed in float32 too).
      const scale = Math.max(...y.data.map(Math.abs));
      allClose(t, prediction.dataSync(), y, 1e-4 * scale, 1e-4, 'prediction');
    });
  }
}
