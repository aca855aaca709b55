// Finite-difference gradient checks (helpers/finite_differences.ts) of the transposed
// convolution, reshaping and Dot layers through the public API. Each layer reads its input
// through an elementwise weight (`Scale`), so the check covers the gradient the layer passes
// back to its input as well as its own weights'.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { checkGradients } from './helpers/finite_differences.js';

const L = kiln.layers;

function data(shape: number[], phase = 0): kiln.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return kiln.tensor(
    Float32Array.from({ length: size }, (_, j) => Math.cos(0.83 * j + phase) * (0.6 + 0.4 * Math.sin(0.29 * j))),
    shape,
  );
}

class Scale extends kiln.layers.Layer {
  w!: kiln.Variable;
  build(inputShape: kiln.Shape) {
    this.w = this.addWeight({ shape: inputShape.slice(1) as number[], initializer: 'ones', name: 'scale' });
  }
  call(inputs: kiln.layers.LayerInput) {
    return kiln.ops.mul(inputs, this.w);
  }
}

const cases: [string, number[], () => kiln.layers.Layer][] = [
  ['Conv2DTranspose 2x2, strides 2', [2, 2, 1], () => new L.Conv2DTranspose(2, 2, { strides: 2 })],
  ['Conv2DTranspose 3x3 same, strides 2, outputPadding 1, tanh', [2, 3, 2], () => new L.Conv2DTranspose(1, 3, { strides: 2, padding: 'same', outputPadding: 1, activation: 'tanh' })],
  ['Conv2DTranspose 2x3 valid, dilation 2', [2, 2, 2], () => new L.Conv2DTranspose(1, [2, 3], { dilationRate: 2 })],
  ['Permute [2, 1]', [3, 4], () => new L.Permute([2, 1])],
  ['RepeatVector 3', [4], () => new L.RepeatVector(3)],
  [
    'ZeroPadding2D [[1, 0], [0, 2]]',
    [2, 3, 2],
    () =>
      new L.ZeroPadding2D([
        [1, 0],
        [0, 2],
      ]),
  ],
  [
    'Cropping2D [[1, 0], [1, 1]]',
    [3, 4, 1],
    () =>
      new L.Cropping2D([
        [1, 0],
        [1, 1],
      ]),
  ],
  ['UpSampling2D nearest [2, 3]', [2, 3, 2], () => new L.UpSampling2D([2, 3])],
  ['UpSampling2D bilinear 2', [3, 3, 1], () => new L.UpSampling2D(2, { interpolation: 'bilinear' })],
  ['UpSampling1D 2', [3, 2], () => new L.UpSampling1D(2)],
  ['ZeroPadding1D [1, 2]', [3, 2], () => new L.ZeroPadding1D([1, 2])],
];

for (const [name, shape, make] of cases) {
  test(`${name}: gradients match finite differences`, async (t) => {
    const inputs = kiln.Input({ shape });
    const outputs = make().apply(new Scale().apply(inputs));
    const model = new kiln.Model({ inputs, outputs });
    const outShape = outputs.shape.slice(1) as number[];
    await checkGradients(t, model, data([4, ...shape]), data([4, ...outShape], 1), 'mse');
  });
}

for (const normalize of [false, true]) {
  test(`Dot over axis 1 of two scaled copies${normalize ? ', normalized' : ''}: gradients match finite differences`, async (t) => {
    const inputs = kiln.Input({ shape: [3, 3] });
    const outputs = new L.Dot(1, { normalize }).apply([new Scale().apply(inputs), new Scale().apply(inputs)]);
    t.deepEqual(outputs.shape, [null, 3, 3]);
    const model = new kiln.Model({ inputs, outputs });
    await checkGradients(t, model, data([4, 3, 3]), data([4, 3, 3], 1), 'mse');
  });
}
