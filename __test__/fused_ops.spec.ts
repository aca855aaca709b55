// Fused ops (issue 15): the engine runs a Conv2D's or Dense's bias add, or a residual block's Add,
// and the activation after it as one pass each way when nothing else reads the sum. A model whose pre-activations are also outputs
// cannot fuse; with the same weights both must predict and train to the same numbers. SGD: Adam
// would turn float32 rounding noise of near-zero gradients (the bias gradient's sums split over
// threads) into visible weight differences under any two summation orders.
import test from 'ava';
import * as kiln from 'kiln-nn';

type Activation = 'relu' | 'gelu' | 'tanh' | 'elu';

/**
 * conv 4 3x3 (act[0]) -> max pool 2 -> conv 6 3x3 'same' (act[1]) -> flatten -> dense 8 (act[2])
 * -> dense 3 softmax. With `unfusable` each activation is its own layer and each pre-activation
 * is a second, third and fourth output too.
 */
function cnn(act: [Activation, Activation, Activation], unfusable: boolean): kiln.Model {
  const input = kiln.Input({ shape: [10, 10, 1] });
  const layer = (make: (activation: Activation | undefined) => { apply(x: kiln.SymbolicTensor): unknown }, activation: Activation, x: kiln.SymbolicTensor, pre: kiln.SymbolicTensor[]) => {
    if (!unfusable) return make(activation).apply(x) as kiln.SymbolicTensor;
    const sum = make(undefined).apply(x) as kiln.SymbolicTensor;
    pre.push(sum);
    return new kiln.layers.Activation(activation).apply(sum) as kiln.SymbolicTensor;
  };
  const pre: kiln.SymbolicTensor[] = [];
  let h = layer((a) => new kiln.layers.Conv2D(4, 3, { activation: a }), act[0], input, pre);
  h = new kiln.layers.MaxPooling2D(2).apply(h) as kiln.SymbolicTensor;
  h = layer((a) => new kiln.layers.Conv2D(6, 3, { padding: 'same', activation: a }), act[1], h, pre);
  h = new kiln.layers.Flatten().apply(h) as kiln.SymbolicTensor;
  h = layer((a) => new kiln.layers.Dense(8, { activation: a }), act[2], h, pre);
  const out = new kiln.layers.Dense(3, { activation: 'softmax' }).apply(h) as kiln.SymbolicTensor;
  const model = new kiln.Model({ inputs: input, outputs: unfusable ? [out, ...pre] : out });
  const losses = ['sparse_categorical_crossentropy', 'mse', 'mse', 'mse'];
  // The pre-activation outputs take no part in training: their losses weigh 0.
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.05 }), loss: unfusable ? losses : losses[0], lossWeights: unfusable ? [1, 0, 0, 0] : undefined });
  return model;
}

const first = (out: kiln.Tensor | kiln.Tensor[]) => Array.from((Array.isArray(out) ? out[0] : out).dataSync());
const maxRelative = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]) / (1 + Math.abs(b[i]))));

for (const act of [
  ['relu', 'relu', 'relu'],
  ['gelu', 'tanh', 'elu'],
] as [Activation, Activation, Activation][]) {
  test(`a CNN with ${act.join(', ')} predicts and trains the same fused as with every op apart`, async (t) => {
    kiln.setSeed(3);
    const fused = cnn(act, false);
    const apart = cnn(act, true);
    apart.setWeights(fused.getWeights());
    kiln.setSeed(4);
    const x = kiln.random.uniform([48, 10, 10, 1], 0, 1);
    const y = kiln.tensor(
      Float32Array.from({ length: 48 }, (_, i) => i % 3),
      [48],
    );
    const d0 = maxRelative(first(fused.predictOnBatch(x)), first(apart.predictOnBatch(x)));
    t.true(d0 < 1e-5, `predictions before training differ by ${d0}`);
    // Zero targets for the pre-activation outputs (their loss weighs nothing).
    const zeros = (apart.outputs.slice(1) as kiln.SymbolicTensor[]).map((o) => {
      const shape = [48, ...o.shape.slice(1).map((d) => d as number)];
      return kiln.tensor(new Float32Array(shape.reduce((p, d) => p * d, 1)), shape);
    });
    const a = await fused.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    const b = await apart.fit(x, [y, ...zeros], { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    const lossA = a.history.loss as number[];
    const lossB = b.history.loss as number[];
    t.true(maxRelative(lossA, lossB) < 1e-5, `losses ${lossA} vs ${lossB}`);
    const [wa, wb] = [fused.getWeights(), apart.getWeights()];
    t.is(wa.length, wb.length);
    wa.forEach((w, i) => {
      const d = maxRelative(w.dataSync(), wb[i].dataSync());
      t.true(d < 1e-5, `weight ${i} after training differs by ${d}`);
    });
    const d1 = maxRelative(first(await fused.predict(x, { batchSize: 20 })), first(await apart.predict(x, { batchSize: 20 })));
    t.true(d1 < 1e-5, `predictions after training differ by ${d1}`);
  });
}

/**
 * The end of a residual block as Keras' ResNet50 writes it: conv 3 3x3 'same' -> BatchNormalization
 * -> Add([branch, shortcut]) -> Activation(act) -> flatten -> dense 3 softmax. The engine runs the
 * add and the activation as one pass (and folds the batch norm into the conv when predicting); with
 * `unfusable` the sum is a second output, so the add runs apart.
 */
function residual(act: Activation, unfusable: boolean): kiln.Model {
  const input = kiln.Input({ shape: [6, 6, 3] });
  let h = new kiln.layers.Conv2D(3, 3, { padding: 'same' }).apply(input) as kiln.SymbolicTensor;
  h = new kiln.layers.BatchNormalization().apply(h) as kiln.SymbolicTensor;
  const sum = new kiln.layers.Add().apply([h, input]) as kiln.SymbolicTensor;
  const a = new kiln.layers.Activation(act).apply(sum) as kiln.SymbolicTensor;
  const out = new kiln.layers.Dense(3, { activation: 'softmax' }).apply(new kiln.layers.Flatten().apply(a) as kiln.SymbolicTensor) as kiln.SymbolicTensor;
  const model = new kiln.Model({ inputs: input, outputs: unfusable ? [out, sum] : out });
  model.compile({
    optimizer: new kiln.optimizers.SGD({ learningRate: 0.05 }),
    loss: unfusable ? ['sparse_categorical_crossentropy', 'mse'] : 'sparse_categorical_crossentropy',
    lossWeights: unfusable ? [1, 0] : undefined,
  });
  return model;
}

for (const act of ['relu', 'gelu'] as Activation[]) {
  test(`a residual block's add + ${act} predicts and trains the same fused as apart`, async (t) => {
    kiln.setSeed(5);
    const fused = residual(act, false);
    const apart = residual(act, true);
    apart.setWeights(fused.getWeights());
    kiln.setSeed(6);
    const x = kiln.random.uniform([32, 6, 6, 3], -1, 1);
    const y = kiln.tensor(
      Float32Array.from({ length: 32 }, (_, i) => i % 3),
      [32],
    );
    const d0 = maxRelative(first(fused.predictOnBatch(x)), first(apart.predictOnBatch(x)));
    t.true(d0 < 1e-5, `predictions before training differ by ${d0}`);
    const a = await fused.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const b = await apart.fit(x, [y, kiln.tensor(new Float32Array(32 * 108), [32, 6, 6, 3])], { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const [lossA, lossB] = [a.history.loss as number[], b.history.loss as number[]];
    t.true(maxRelative(lossA, lossB) < 1e-5, `losses ${lossA} vs ${lossB}`);
    // The losses moved: the block trained, through the fused pass's gradients.
    t.true(lossA[1] < lossA[0], `losses ${lossA}`);
    const [wa, wb] = [fused.getWeights(), apart.getWeights()];
    t.is(wa.length, wb.length);
    wa.forEach((w, i) => {
      const d = maxRelative(w.dataSync(), wb[i].dataSync());
      t.true(d < 1e-5, `weight ${i} after training differs by ${d}`);
    });
    const d1 = maxRelative(first(await fused.predict(x, { batchSize: 16 })), first(await apart.predict(x, { batchSize: 16 })));
    t.true(d1 < 1e-5, `predictions after training differ by ${d1}`);
  });
}
