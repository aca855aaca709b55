// Every built-in layer against Keras 3: outputs and gradients, from the fixture written by
// scripts/fixtures/keras_layers.py (regenerate it with that script; no Python is needed here).
//
// Outputs: a functional model Input -> layer gets Keras' weights and must predict Keras' output.
// Gradients go through the public training API. The fixture holds R and Keras' gradients of
// sum(output * R). kiln's 'mse' is, per sample, the mean over all W values of the sample, then
// the mean over the N samples of the batch, so d mse / d output = 2 (y - t) / (N W); the target
// t = y - R N W / 2 makes that R, and one step of SGD(learningRate 1) over one batch holding
// every sample subtracts exactly d sum(output * R) / d weight from each weight. The input
// gradient is reached through a ones-valued elementwise scale in front of the layer: its
// gradient is the sum over the batch of x * d sum(output * R) / d input.
import test from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';
import { allClose, type FixtureArray } from './helpers/all_close.js';

interface Case {
  name: string;
  layer: string;
  args: unknown[];
  options: Record<string, unknown>;
  inputShape: number[];
  x: FixtureArray;
  weights: FixtureArray[];
  output: FixtureArray;
  R: FixtureArray;
  weightGrads: FixtureArray[];
  inputGrad: FixtureArray;
  inputGradSum: FixtureArray;
}
interface Fixture {
  keras: string;
  backend: string;
  batch: number;
  cases: Case[];
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_layers.json', import.meta.url), 'utf8'));

// Cases where kiln disagrees with Keras (kept as test.failing until the library is fixed),
// keyed "<case name>: output" or "<case name>: gradients".
//

const OUTPUT_ATOL = 1e-5;
const OUTPUT_RTOL = 1e-5;
const GRAD_ATOL = 2e-5;
const GRAD_RTOL = 1e-4;

type LayerClass = new (...args: never[]) => kiln.layers.Layer;
const layerClass = (name: string): LayerClass => (kiln.layers as unknown as Record<string, LayerClass>)[name];

function makeLayer(c: Case): kiln.layers.Layer {
  const Cls = layerClass(c.layer);
  if (typeof Cls !== 'function') throw new Error(`kiln.layers.${c.layer} does not exist`);
  return new (Cls as new (...args: unknown[]) => kiln.layers.Layer)(...c.args, c.options);
}

const toTensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.data), a.shape);

/** Multiplies its input elementwise by a weight of the sample's shape (initialised to ones). */
class Scale extends kiln.layers.Layer {
  w!: kiln.Variable;
  build(inputShape: kiln.Shape) {
    this.w = this.addWeight({ shape: inputShape.slice(1) as number[], initializer: 'ones', name: 'scale' });
  }
  call(inputs: kiln.layers.LayerInput) {
    return kiln.ops.mul(inputs, this.w);
  }
}

test('the fixture comes from Keras and covers every layer', (t) => {
  t.true(fixture.cases.length >= 40);
  t.regex(fixture.keras, /^3\./);
  // The recurrent extensions (masks, Bidirectional, TimeDistributed) have their own fixture.
  const rnnFixture: { cases: { layers: { class: string }[] }[] } = JSON.parse(readFileSync(new URL('./fixtures/keras_layers_rnn.json', import.meta.url), 'utf8'));
  const covered = new Set([...fixture.cases.map((c) => c.layer), ...rnnFixture.cases.flatMap((c) => c.layers.map((l) => l.class))]);
  for (const name of Object.keys(kiln.layers)) {
    const cls = layerClass(name);
    if (typeof cls !== 'function' || !(cls.prototype instanceof kiln.layers.Layer)) continue;
    // Bases aside; merges, BatchNormalization's training statistics and Embedding's ids are tested in layers.spec.
    if (['Layer', 'InputLayer', 'BaseConv', 'BasePooling', 'BaseGlobalPooling', 'BaseRNN', 'BaseMerge', 'BatchNormalization', 'Embedding'].includes(name)) continue;
    if (cls.prototype instanceof kiln.layers.BaseMerge) continue;
    t.true(covered.has(name), `no Keras fixture for kiln.layers.${name}`);
  }
});

for (const c of fixture.cases) {
  test(`${c.name}: output`, async (t) => {
    const inputs = kiln.Input({ shape: c.inputShape });
    const layer = makeLayer(c);
    const model = new kiln.Model({ inputs, outputs: layer.apply(inputs) });
    t.deepEqual(model.outputs[0].shape, [null, ...c.output.shape.slice(1)], 'symbolic output shape');
    model.setWeights(c.weights.map(toTensor));
    const y = await model.predict(toTensor(c.x), { batchSize: fixture.batch });
    t.deepEqual(y.shape, c.output.shape);
    allClose(t, y.dataSync(), c.output, OUTPUT_ATOL, OUTPUT_RTOL, 'output');
  });

  test(`${c.name}: gradients`, async (t) => {
    const n = c.x.shape[0];
    const width = c.output.data.length / n;
    const inputs = kiln.Input({ shape: c.inputShape });
    const scale = new Scale();
    const layer = makeLayer(c);
    const model = new kiln.Model({ inputs, outputs: layer.apply(scale.apply(inputs)) });
    const ones = { shape: c.inputShape, data: new Array(c.inputGradSum.data.length).fill(1) };
    const start = [ones, ...c.weights].map(toTensor);
    model.setWeights(start);
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: 'mse' });
    const x = toTensor(c.x);
    const y = (await model.predict(x, { batchSize: n })).dataSync();
    // d mse / d y = 2 (y - target) / (n width) = R
    const target = kiln.tensor(Float32Array.from(y, (v, i) => v - (c.R.data[i] * n * width) / 2), c.output.shape);
    await model.fit(x, target, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
    const after = model.getWeights().map((w) => w.dataSync());
    const grads = start.map((w, i) => Float64Array.from(w.dataSync(), (v, j) => v - after[i][j]));
    t.is(grads.length, 1 + c.weightGrads.length, 'weights: the scale, then the layer\'s in Keras\' order');
    c.weightGrads.forEach((g, i) => allClose(t, grads[1 + i], g, GRAD_ATOL, GRAD_RTOL, `gradient of weight ${i} (${layer.weights[i]?.name})`));
    if (c.layer === 'Dropout') {
      // fit trains with dropout on: each value is kept and scaled by 1 / (1 - rate), or dropped.
      // With the training output y' = m x / (1 - rate) (m = 1 kept, 0 dropped) instead of the
      // inference output y = x the target was made from, d mse / d y' = R + 2 (y' - x) / (n width),
      // so the scale's gradient is the sum over the batch of m x (R + 2 (y' - x) / (n width)) / (1 - rate),
      // with R = Keras' input gradient at inference (identity). Every mask is tried.
      const rate = c.args[0] as number;
      const per = c.inputGradSum.data.length;
      let kept = 0;
      for (let i = 0; i < per; i++) {
        const terms = Array.from({ length: n }, (_, b) => {
          const [xv, r] = [c.x.data[b * per + i], c.inputGrad.data[b * per + i]];
          return (xv * (r + (2 * (xv / (1 - rate) - xv)) / (n * width))) / (1 - rate);
        });
        const outcomes = Array.from({ length: 2 ** n }, (_, mask) => terms.reduce((s, v, b) => s + ((mask >> b) & 1 ? v : 0), 0));
        const match = outcomes.findIndex((o) => Math.abs(grads[0][i] - o) <= GRAD_ATOL + GRAD_RTOL * Math.abs(o));
        t.true(match >= 0, `scale gradient ${i}: ${grads[0][i]} is none of ${outcomes.join(', ')}`);
        kept += match >= 0 ? match.toString(2).split('1').length - 1 : 0;
      }
      t.true(kept > 0 && kept < n * per, `dropout drops some values in training and keeps others (kept ${kept} of ${n * per})`);
    } else {
      allClose(t, grads[0], c.inputGradSum, GRAD_ATOL, GRAD_RTOL, 'input gradient (sum over the batch of x * dL/dx)');
    }
  });
}
