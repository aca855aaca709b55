// Writes the engine_spec fuzzer's seed corpus: the engine specs kiln-nn sends to kiln-core for
// a spread of models, and its eager ops as one-node graphs, captured at the native boundary. Run after a build:
// `node crates/kiln-core/fuzz/capture_seeds.mjs` (from the repository root).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

const require = createRequire(import.meta.url);
const native = require('../../../native.cjs');
const kiln = await import('../../../dist/index.js');
const out = new URL('./seeds/', import.meta.url);
const save = (dir, text) => {
  mkdirSync(new URL(`${dir}/`, out), { recursive: true });
  writeFileSync(new URL(`${dir}/${createHash('sha1').update(text).digest('hex').slice(0, 16)}.json`, out), text);
};
const Engine = native.NativeEngine;
native.NativeEngine = function (spec, variables) {
  save('engine_spec', JSON.stringify({ variables: variables.map((v) => v.shape), batch: 2, spec: JSON.parse(spec) }));
  return new Engine(spec, variables);
};
const runOp = native.runOp;
native.runOp = function (spec, args, name) {
  // An eager op as the one-node graph ops::run_op makes of it, batch axis unknown.
  const inputs = args.map((a, index) => ({ op: 'input', index, shape: [null, ...a.shape.slice(1)], name: `input ${index}` }));
  const graph = { nodes: [...inputs, { ...JSON.parse(spec), inputs: inputs.map((_, i) => i), name }], outputs: [inputs.length] };
  save('engine_spec', JSON.stringify({ variables: [], batch: args[0]?.shape[0] ?? 1, spec: { graph, trainable: [] } }));
  return runOp(spec, args, name);
};

const L = kiln.layers;
const x = (shape) => kiln.random.uniform([2, ...shape]);
async function run(layers, shape, loss = 'mse', data = x) {
  const model = new kiln.Sequential([kiln.Input({ shape }), ...layers]);
  model.compile({ optimizer: 'adam', loss, metrics: ['mae'] });
  const output = await model.predict(data(shape));
  await model.fit(data(shape), kiln.ops.reshape(kiln.tensor(new Float32Array(output.shape.reduce((a, b) => a * b, 1))), output.shape), { epochs: 1, verbose: 0 });
}
await run([new L.Dense(4, { activation: 'relu' }), new L.Dropout(0.5), new L.Dense(3, { activation: 'softmax' })], [6], 'categoricalCrossentropy');
await run([new L.Conv2D(3, 3, { padding: 'same', strides: 2 }), new L.MaxPooling2D(2), new L.Flatten(), new L.Dense(2)], [8, 8, 2]);
await run([new L.Conv2D(4, 2, { dilationRate: 2, groups: 2 }), new L.AveragePooling2D(2, { padding: 'same' }), new L.GlobalAveragePooling2D()], [7, 7, 2]);
await run([new L.Conv2DTranspose(2, 3, { strides: 2 }), new L.UpSampling2D(2), new L.ZeroPadding2D(1), new L.Cropping2D(1)], [3, 3, 2]);
await run([new L.Conv3D(2, 2), new L.Conv3DTranspose(2, 2, { strides: 2 }), new L.Reshape([-1])], [4, 4, 4, 1]);
await run([new L.DepthwiseConv2D(3, { padding: 'same' }), new L.BatchNormalization(), new L.SeparableConv2D(2, 3)], [6, 6, 3]);
await run([new L.Embedding(10, 4), new L.LSTM(3, { returnSequences: true }), new L.GRU(2)], [5], 'mse', (shape) => kiln.tensor([[1, 2, 3, 4, 5], [9, 0, 0, 1, 2]]));
await run([new L.SimpleRNN(3, { goBackwards: true, returnSequences: true }), new L.Permute([2, 1]), new L.Flatten(), new L.RepeatVector(2)], [4, 3]);
await run([new L.Conv1D(2, 3), new L.MaxPooling1D(2), new L.UpSampling1D(3), new L.GlobalMaxPooling1D()], [9, 2]);
await run([new L.LayerNormalization(), new L.GaussianNoise(0.1), new L.GaussianDropout(0.2), new L.Dense(2)], [5]);
{
  const a = kiln.Input({ shape: [4] });
  const b = kiln.Input({ shape: [3] });
  const joined = new L.Concatenate().apply([new L.Dense(2).apply(a), b]);
  const m = new kiln.Model({ inputs: [a, b], outputs: [new L.Dense(1).apply(joined), new L.Dense(3, { activation: 'sigmoid' }).apply(joined)] });
  m.compile({ optimizer: 'sgd', loss: ['mse', 'binaryCrossentropy'] });
  await m.fit([x([4]), x([3])], [kiln.tensor([[0], [0]]), kiln.tensor([[0, 0, 0], [1, 1, 1]])], { epochs: 1, verbose: 0 });
}
// Eager ops: the kernels' shape handling as kiln.ops reaches it.
const o = kiln.ops;
const t = kiln.random.uniform([2, 3, 4]);
o.reshape(t, [4, -1]); o.sum(t, 1); o.max(t, -1, true); o.transpose(t, [2, 0, 1]); o.concat([t, t], 1);
o.repeat(t, 2, 1); o.tile(t, [1, 2, 1]); o.pad(t, [[0, 0], [1, 2], [0, 1]]); o.cumsum(t, 2); o.argMax(t, 1);
o.topK(t, 2); o.flip(t, 0); o.take(t, kiln.tensor([0, 1, 1]), 1); o.where(o.greater(t, 0.5), t, o.negative(t)); o.matmul(t, kiln.random.uniform([4, 2]));
o.sliceAxis(t, 1, 1, 2); o.stack([t, t], 0); o.expandDims(t, 1);
o.conv(kiln.random.uniform([1, 5, 5, 2]), kiln.random.uniform([3, 3, 2, 4]), { padding: 'same' }); o.maxPool(kiln.random.uniform([1, 5, 5, 2]), 2); o.averagePool(kiln.random.uniform([1, 6, 6, 1]), 3, 2, 'same'); o.softmax(t);
o.convTranspose(kiln.random.uniform([1, 3, 3, 2]), kiln.random.uniform([3, 3, 4, 2]), { strides: 2 });
o.depthwiseConv(kiln.random.uniform([1, 5, 5, 2]), kiln.random.uniform([3, 3, 2, 1]));
console.log('seeds written');
