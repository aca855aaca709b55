// Issue 13: engines that share weights run side by side without deadlock, and setSeed before
// fit repeats dropout whatever the engine's age. The stress test runs in a child process with
// a timeout, so a deadlock fails the test instead of hanging ava. KILN_STRESS_SECONDS=60 runs
// the long version on demand.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { runChild } from './helpers/child_process.js';

const stressSeconds = Number(process.env.KILN_STRESS_SECONDS ?? 20);

// A model and a sub-model on the same layers: one fits while the other predicts, and a third
// engine on the same layers is compiled and fitted again and again. Before the fix a rayon
// worker waiting inside a GEMM split picked up another engine's job, which then waited for
// locks the same thread held: a deadlock within 22-165 rounds.
const stressProgram = (seconds: number) => `
kiln.setSeed(1);
const input = kiln.Input({ shape: [64] });
const hidden = new kiln.layers.Dense(512, { activation: 'relu' }).apply(input);
const output = new kiln.layers.Dense(10, { activation: 'softmax' }).apply(hidden);
const model = new kiln.Model({ inputs: input, outputs: output });
const sub = new kiln.Model({ inputs: input, outputs: hidden });
model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
const x = kiln.random.uniform([256, 64]);
const y = kiln.utils.toCategorical(kiln.random.randint(0, 10, [256]), 10);
const end = Date.now() + ${seconds * 1000};
const counts = { fit: 0, predict: 0, compile: 0 };
const fitting = async () => { while (Date.now() < end) { await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 }); counts.fit++; } };
const predicting = async () => { while (Date.now() < end) { await sub.predict(x, { batchSize: 128 }); counts.predict++; } };
const recompiling = async () => {
  while (Date.now() < end) {
    const twin = new kiln.Model({ inputs: input, outputs: output });
    twin.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
    await twin.fit(x, y, { epochs: 1, batchSize: 128, verbose: 0 });
    model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
    counts.compile++;
  }
};
await Promise.all([fitting(), predicting(), predicting(), recompiling()]);
console.log(JSON.stringify(counts));
`;

test(`shared-weight fit, predict and compile run together for ${stressSeconds} s without deadlock`, async (t) => {
  t.timeout((stressSeconds + 90) * 1000);
  const result = await runChild(stressProgram(stressSeconds), (stressSeconds + 60) * 1000, { KILN_NUM_THREADS: '4' });
  t.false(result.timedOut, `deadlocked (killed after ${stressSeconds + 60} s); stderr: ${result.stderr.slice(-2000)}`);
  t.is(result.code, 0, result.stderr.slice(-2000));
  const counts = JSON.parse(result.stdout.trim().split('\n').pop()!);
  t.log(`rounds in ${stressSeconds} s: ${JSON.stringify(counts)}`);
  t.true(counts.fit > 5 && counts.predict > 5 && counts.compile > 2, JSON.stringify(counts));
});

function dropoutModel() {
  kiln.setSeed(7);
  const model = new kiln.Sequential([new kiln.layers.Dense(16, { activation: 'relu', inputShape: [8] }), new kiln.layers.Dropout(0.5), new kiln.layers.Dense(1)]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  return model;
}

test('setSeed before fit gives the same dropout masks for equal models, even when the engine exists already', async (t) => {
  kiln.setSeed(11);
  const x = kiln.random.uniform([32, 8]);
  const y = kiln.random.uniform([32, 1]);
  // A trains once (its engine exists and has drawn masks), then continues after setSeed(9).
  const a = dropoutModel();
  await a.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
  const saved = a.getWeights();
  kiln.setSeed(9);
  await a.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  // B starts from A's weights with a fresh engine (SGD keeps no state), after the same setSeed(9).
  const b = dropoutModel();
  b.setWeights(saved);
  kiln.setSeed(9);
  await b.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  const [wa, wb] = [a.getWeights(), b.getWeights()];
  wa.forEach((w, i) => t.deepEqual(Array.from(w.dataSync()), Array.from(wb[i].dataSync()), `weight ${i}`));
  // And a different seed gives different masks.
  const c = dropoutModel();
  c.setWeights(saved);
  kiln.setSeed(10);
  await c.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  t.notDeepEqual(Array.from(c.getWeights()[0].dataSync()), Array.from(wa[0].dataSync()));
});
