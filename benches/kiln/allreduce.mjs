// The cost of data-parallel training's gradient allreduce, per step, for the seed MLP and CNN.
//
// Usage: node kiln/allreduce.mjs [--steps 60] [--rounds 3] [--models mlp,cnn]  (needs mpirun: Open MPI)
// For each model, interleaved over --rounds rounds (the minimum kept), the steady-state step
// time of three runs on the same Fashion-MNIST samples:
//   one process, batch 64        (what 2 ranks together compute per step),
//   one process, batch 32        (one rank's share of the compute, on half the cores),
//   mpirun -np 2, global batch 64 (32 per rank; each rank's kernels on half the cores).
// allreduce_ms = 2-rank step - batch-32 step: the cost of averaging the gradients (and the
// ranks waiting for each other). bytes_per_step: the flat float32 gradient buffer each rank
// contributes; a ring allreduce moves 2(N-1)/N times that in and out of every rank.
// Prints one JSON line per model.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, emit, round } from '../lib/common.mjs';

const args = parseArgs(process.argv.slice(2), { steps: 60, rounds: 3, models: 'mlp,cnn', worker: '', batch: 64, distributed: false, warmupSteps: 5 });

async function worker() {
  const { kiln, loadData } = await import('../lib/kiln_mlp.mjs');
  if (args.distributed) kiln.distribution.setDistribution(new kiln.distribution.DataParallel());
  kiln.setSeed(1);
  const { data } = await loadData();
  const [[xAll, yAll]] = data;
  const cnn = args.worker === 'cnn';
  const n = Math.min(xAll.shape[0], (args.steps + args.warmupSteps) * args.batch);
  const x = xAll
    .slice([0, 0, 0], [n, 28, 28])
    .astype('float32')
    .div(255)
    .reshape(cnn ? [n, 28, 28, 1] : [n, 28, 28]);
  const y = yAll.slice([0], [n]).astype('int32');
  const L = kiln.layers;
  const layers = cnn
    ? [
        new L.Conv2D(32, [3, 3], { activation: 'relu', inputShape: [28, 28, 1] }),
        new L.MaxPooling2D([2, 2]),
        new L.Conv2D(64, [3, 3], { activation: 'relu' }),
        new L.MaxPooling2D([2, 2]),
        new L.Flatten(),
        new L.Dense(128, { activation: 'relu' }),
        new L.Dense(10, { activation: 'softmax' }),
      ]
    : [new L.Flatten({ inputShape: [28, 28] }), new L.Dense(128, { activation: 'relu' }), new L.Dropout(0.2), new L.Dense(10, { activation: 'softmax' })];
  const model = new kiln.Sequential(layers);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const warm = args.warmupSteps * args.batch;
  await model.fit(x.slice([0, ...x.shape.slice(1).map(() => 0)], [warm, ...x.shape.slice(1)]), y.slice([0], [warm]), { batchSize: args.batch, epochs: 1, verbose: 0 });
  const started = performance.now();
  await model.fit(x, y, { batchSize: args.batch, epochs: 1, verbose: 0, shuffle: false });
  const steps = Math.ceil(n / args.batch);
  const params = model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  if (kiln.distribution.isChief()) emit({ step_ms: (performance.now() - started) / steps, params });
}

function run(model, batch, ranks, threadShare = ranks) {
  const self = fileURLToPath(import.meta.url);
  const workerArgs = [self, '--worker', model, '--batch', String(batch), '--steps', String(args.steps), '--distributed', String(ranks > 1)];
  const cores = availableParallelism();
  const [command, argv] = ranks > 1 ? ['mpirun', ['--allow-run-as-root', '--oversubscribe', '-np', String(ranks), process.execPath, ...workerArgs]] : [process.execPath, workerArgs];
  // Each rank gets its share of the cores, as on N machines each would have its own.
  const env = { ...process.env, KILN_NUM_THREADS: String(Math.max(1, Math.floor(cores / threadShare))), OMPI_MCA_btl_vader_single_copy_mechanism: 'none' };
  const out = spawnSync(command, argv, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const line = out.stdout.split('\n').find((l) => l.startsWith('{'));
  if (out.status !== 0 || !line) throw new Error(`${model} batch ${batch} on ${ranks} rank(s) failed:\n${out.stdout}\n${out.stderr}`);
  return JSON.parse(line);
}

if (args.worker) {
  await worker();
} else {
  for (const model of args.models.split(',')) {
    const best = { single64: Infinity, single32: Infinity, ranks2: Infinity };
    let params = 0;
    for (let r = 0; r < args.rounds; r++) {
      for (const [key, batch, ranks, share] of [
        ['single64', 64, 1, 1],
        ['single32', 32, 1, 2],
        ['ranks2', 64, 2, 2],
      ]) {
        const result = run(model, batch, ranks, share);
        best[key] = Math.min(best[key], result.step_ms);
        params = result.params;
      }
    }
    const bytes = params * 4;
    emit({
      peer: 'kiln',
      workload: `allreduce_${model}`,
      params,
      bytes_per_step: bytes,
      ring_bytes_per_rank_2: bytes, // 2(N-1)/N x bytes, N = 2
      step_ms_1proc_batch64: round(best.single64, 3),
      step_ms_1proc_batch32: round(best.single32, 3),
      step_ms_2ranks_batch64: round(best.ranks2, 3),
      allreduce_ms: round(best.ranks2 - best.single32, 3),
      cores: availableParallelism(),
      rounds: args.rounds,
      steps: args.steps,
    });
  }
}
