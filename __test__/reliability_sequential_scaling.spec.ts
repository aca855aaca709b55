// Issue 13: building a Sequential model by add() is linear in its depth. Each add used to walk
// the whole graph (the disconnected-graph check of setGraph), so n layers cost n^2: 500 layers
// took 4.8 s, 1,000 layers 21.9 s. Timings are compared as a ratio (2,000 layers against 500),
// not against a fixed time, so a slow or busy machine cannot make the test fail.
import test from 'ava';
import * as kiln from 'kiln-nn';

function sequentialOfDense(depth: number, options: { kernelInitializer?: string } = {}): kiln.Sequential {
  const model = new kiln.Sequential();
  model.add(kiln.Input({ shape: [8] }));
  for (let i = 0; i < depth; i++) model.add(new kiln.layers.Dense(8, options));
  return model;
}

function buildMilliseconds(depth: number): number {
  const started = performance.now();
  sequentialOfDense(depth);
  return performance.now() - started;
}

test('building a Sequential of 2,000 layers takes about 4 times as long as one of 500, not 16 times', (t) => {
  buildMilliseconds(500); // compiles the code paths once
  // The fastest of three alternating rounds of each: noise from other processes only adds time.
  let small = Infinity;
  let large = Infinity;
  for (let round = 0; round < 3; round++) {
    small = Math.min(small, buildMilliseconds(500));
    large = Math.min(large, buildMilliseconds(2000));
  }
  const ratio = large / small;
  t.log(`500 layers: ${small.toFixed(0)} ms, 2,000 layers: ${large.toFixed(0)} ms, ratio ${ratio.toFixed(1)} (linear: 4, quadratic: 16)`);
  t.true(ratio < 9, `2,000 layers took ${ratio.toFixed(1)} times as long as 500`);
});

test('a Sequential of 2,000 layers is the same model as its functional equivalent: weights and predictions', async (t) => {
  // Orthogonal kernels keep the norm of a sample through 2,000 layers, so the output is a
  // meaningful number rather than 0 or Infinity.
  kiln.setSeed(13);
  const sequential = sequentialOfDense(2000, { kernelInitializer: 'orthogonal' });
  const input = kiln.Input({ shape: [8] });
  let x = input;
  for (let i = 0; i < 2000; i++) x = new kiln.layers.Dense(8).apply(x) as kiln.SymbolicTensor;
  const functional = new kiln.Model({ inputs: input, outputs: x });
  t.is(sequential.layers.length, 2000);
  t.is(sequential.weights.length, 4000);
  t.is(functional.weights.length, sequential.weights.length);
  t.is(functional.countParams(), sequential.countParams());
  t.is(sequential.countParams(), 2000 * (8 * 8 + 8));
  functional.setWeights(sequential.getWeights());
  const samples = kiln.tensor([
    [1, -2, 3, 0.5, 0, 4, -1, 2],
    [0.1, 0.2, -0.3, 0.4, 1, -1, 0, 0.5],
  ]);
  const fromSequential = ((await sequential.predict(samples)) as kiln.Tensor).toArray() as number[][];
  const fromFunctional = ((await functional.predict(samples)) as kiln.Tensor).toArray() as number[][];
  t.deepEqual(fromSequential, fromFunctional);
  // Zero biases and orthogonal kernels: each output row has its input row's length.
  const norm = (row: number[]) => Math.hypot(...row);
  (samples.toArray() as number[][]).forEach((row, i) => t.true(Math.abs(norm(fromSequential[i]) - norm(row)) < 1e-2 * norm(row), `row ${i}: ${norm(fromSequential[i])} vs ${norm(row)}`));
  t.notDeepEqual(fromSequential[0], (samples.toArray() as number[][])[0]);
});
