#!/usr/bin/env node
// kiln-nn benchmark runner: `npm run bench` (from the repo root) or `node benches/run.mjs`.
//
// Runs workloads 1 (GEMM f32), 2 (seed MLP), 3 (seed CNN), 4 (seed RNN), 5 (inference: the
// seed MLP's one-sample latency and batch-1024 throughput, ResNet50 and MobileNetV2 at 224x224),
// 6 (memory) and 7 (serving, benches/serve.mjs) of /work/shared/BENCHMARKS.md, and checks the
// targets of issue 15 in a table at the top of RESULTS.md.
// Every measurement is a fresh child process; kiln-nn and the peers alternate within each
// repetition (the order flips every repetition), and the report gives medians over repetitions
// and the ratio kiln/peer. Prints a table and writes benches/RESULTS.md.
//
// Configuration (environment):
//   BENCH_REPS=3               repetitions of the MLP measurements
//   BENCH_GEMM_REPS=3          repetitions of the GEMM measurements
//   BENCH_WORKLOADS=gemm,mlp,cnn,rnn,memory,infer,apps,serving  (add `profile` for benches/profile.mjs)
//   BENCH_PEERS=numpy,torch,keras-jax,keras-tensorflow,tfjs-wasm,tfjs-cpu,onnxruntime
//   BENCH_GEMM_MIN_TIME=0.1    seconds per timing trial;  BENCH_GEMM_TRIALS=5
//   BENCH_MLP_BATCHES=32,128   BENCH_MLP_EPOCHS=5 (kiln and Keras; epoch 1 is warm-up)
//   BENCH_TFJS_EPOCHS=2        tfjs-wasm epochs (≈13 s each here; epoch 1 is warm-up)
//   BENCH_TFJS_CPU_SAMPLES=6400  BENCH_TFJS_CPU_MAX_SECONDS=30  BENCH_TFJS_CPU_REPS=1
//   BENCH_CNN_REPS=3           repetitions of the CNN runs (kiln, Keras JAX / TF, PyTorch; tfjs-wasm once)
//   BENCH_CNN_BATCH=64  BENCH_CNN_EPOCHS=2  BENCH_CNN_STEPS=160 (steps per epoch: the timed fit
//                              trains on the first STEPS x BATCH samples; 0 = all 60,000)
//   BENCH_CNN_WARMUP_STEPS=20  steps of the untimed warm-up fit before the timed one
//   BENCH_CNN_TFJS_CPU=0       1: also try the CNN on tfjs-cpu (35–45 s a batch-64 step here:
//                              1 warm-up + BENCH_CNN_TFJS_CPU_STEPS=2 timed steps, 256 test samples)
//   BENCH_RNN_REPS=3  BENCH_RNN_BATCH=32  BENCH_RNN_SAMPLES=10000
//   BENCH_RNN_EPOCHS=8 (kiln, Keras; epoch 1 is warm-up)  BENCH_TFJS_RNN_EPOCHS=3 (tfjs-wasm)
//   BENCH_MEMORY_REPS=1  BENCH_MEMORY_GROWTH_SAMPLES=10000  BENCH_MEMORY_GROWTH_EPOCHS=20
//   BENCH_INFER_REPS=3         seed-MLP inference: one-sample latency and batch throughput
//   BENCH_INFER_CALLS=2000  BENCH_INFER_WARMUP=200 (timed / untimed one-sample calls)
//   BENCH_INFER_BATCH=1024  BENCH_INFER_MIN_TIME=1 (seconds of timed batch calls)
//   BENCH_APPS_REPS=3          ResNet50 / MobileNetV2 inference (kiln, onnxruntime-node on kiln's
//                              ONNX export, Keras, PyTorch/torchvision)
//   BENCH_APPS_MODELS=ResNet50,MobileNetV2  BENCH_APPS_BATCHES=1,32  BENCH_APPS_SIZE=224
//   BENCH_APPS_MIN_TIME=1  BENCH_APPS_MIN_CALLS=3 (timed calls per batch size: at least both)
//   BENCH_APPS_KERAS=tensorflow  Keras backends for the applications (tensorflow,jax: both)
//   BENCH_SERVE_*              passed to benches/serve.mjs (workload serving; see that file)
//   BENCH_TORCH_THREADS        PyTorch's intra-op threads (default: its own, one per core; set 1 on a
//                              loaded machine, where its spinning OpenMP threads collapse)
//   BENCH_KILN=0               skip kiln-nn (default: run it when dist/index.js exists)
//   BENCH_PYTHON=path          Python with the peers (default benches/.venv/bin/python)
//   BENCH_TIMEOUT_S=900        per child process
//   BENCH_WAIT_QUIET_S=60      before each measurement wait up to this long for other processes
//                              to leave the CPU idle (0: do not wait); busy runs are flagged anyway
//   BENCH_RESULTS=path         where to write the report (default benches/RESULTS.md)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/common.mjs';
import { KILN_DIST } from './lib/kiln.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const env = process.env;
const num = (k, d) => (env[k] !== undefined && env[k] !== '' ? Number(env[k]) : d);
const list = (k, d) =>
  (env[k] || d)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const CFG = {
  reps: num('BENCH_REPS', 3),
  gemmReps: num('BENCH_GEMM_REPS', 3),
  workloads: list('BENCH_WORKLOADS', 'gemm,mlp,cnn,rnn,memory,infer,apps,serving'),
  peers: list('BENCH_PEERS', 'numpy,torch,keras-jax,keras-tensorflow,tfjs-wasm,tfjs-cpu,onnxruntime'),
  gemmMinTime: num('BENCH_GEMM_MIN_TIME', 0.1),
  gemmTrials: num('BENCH_GEMM_TRIALS', 5),
  mlpBatches: list('BENCH_MLP_BATCHES', '32,128').map(Number),
  mlpEpochs: num('BENCH_MLP_EPOCHS', 5),
  tfjsEpochs: num('BENCH_TFJS_EPOCHS', 2),
  tfjsCpuSamples: num('BENCH_TFJS_CPU_SAMPLES', 6400),
  tfjsCpuMaxSeconds: num('BENCH_TFJS_CPU_MAX_SECONDS', 30),
  tfjsCpuReps: num('BENCH_TFJS_CPU_REPS', 1),
  cnnReps: num('BENCH_CNN_REPS', 3),
  cnnBatch: num('BENCH_CNN_BATCH', 64),
  cnnEpochs: num('BENCH_CNN_EPOCHS', 2),
  cnnSteps: num('BENCH_CNN_STEPS', 160),
  cnnWarmupSteps: num('BENCH_CNN_WARMUP_STEPS', 20),
  cnnTfjsCpu: env.BENCH_CNN_TFJS_CPU === '1',
  cnnTfjsCpuSteps: num('BENCH_CNN_TFJS_CPU_STEPS', 2),
  rnnReps: num('BENCH_RNN_REPS', 3),
  rnnBatch: num('BENCH_RNN_BATCH', 32),
  rnnSamples: num('BENCH_RNN_SAMPLES', 10000),
  rnnEpochs: num('BENCH_RNN_EPOCHS', 8),
  tfjsRnnEpochs: num('BENCH_TFJS_RNN_EPOCHS', 3),
  memoryReps: num('BENCH_MEMORY_REPS', 1),
  growthSamples: num('BENCH_MEMORY_GROWTH_SAMPLES', 10000),
  growthEpochs: num('BENCH_MEMORY_GROWTH_EPOCHS', 20),
  inferReps: num('BENCH_INFER_REPS', 3),
  inferCalls: num('BENCH_INFER_CALLS', 2000),
  inferWarmup: num('BENCH_INFER_WARMUP', 200),
  inferBatch: num('BENCH_INFER_BATCH', 1024),
  inferMinTime: num('BENCH_INFER_MIN_TIME', 1),
  appsReps: num('BENCH_APPS_REPS', 3),
  appsModels: list('BENCH_APPS_MODELS', 'ResNet50,MobileNetV2'),
  appsBatches: list('BENCH_APPS_BATCHES', '1,32').map(Number),
  appsSize: num('BENCH_APPS_SIZE', 224),
  appsMinTime: num('BENCH_APPS_MIN_TIME', 1),
  appsMinCalls: num('BENCH_APPS_MIN_CALLS', 3),
  appsKeras: list('BENCH_APPS_KERAS', 'tensorflow'),
  python: env.BENCH_PYTHON || join(BENCH, '.venv/bin/python'),
  timeoutS: num('BENCH_TIMEOUT_S', 900),
  waitQuietS: num('BENCH_WAIT_QUIET_S', 60),
  resultsPath: env.BENCH_RESULTS || join(BENCH, 'RESULTS.md'),
};
const NCPU = os.availableParallelism();
const kilnAvailable = env.BENCH_KILN !== '0' && (existsSync(KILN_DIST) || !!env.KILN_NN_ENTRY);
const kilnSkipReason = env.BENCH_KILN === '0' ? 'BENCH_KILN=0' : `${relative(ROOT, KILN_DIST)} not built`;
const hasPeer = (p) => CFG.peers.includes(p);
const pythonOk = existsSync(CFG.python);
const tfjsOk = existsSync(join(BENCH, 'node_modules/@tensorflow/tfjs/package.json'));
const ortOk = existsSync(join(BENCH, 'node_modules/onnxruntime-node/package.json'));
const pythonHas = (() => {
  const known = {};
  return (module) => (known[module] ??= pythonOk && spawnSync(CFG.python, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0);
})();
const torchOk = () => hasPeer('torch') && pythonHas('torch');

// ---------------------------------------------------------------- machine load
// CPU time of the whole machine (/proc/stat) minus that of this runner and its waited-for
// children (/proc/self/stat utime+stime+cutime+cstime): how many cores other processes kept
// busy while we measured. Both count in USER_HZ ticks.
function cpuTicks() {
  try {
    const all = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = all.reduce((a, b) => a + b, 0) - all[3] - (all[4] || 0); // minus idle, iowait
    const self = readFileSync('/proc/self/stat', 'utf8');
    const f = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number); // f[0] is field 3 (state)
    const mine = f[11] + f[12] + f[13] + f[14]; // utime stime cutime cstime (fields 14-17)
    return { busy, mine, t: Date.now() };
  } catch {
    return null;
  }
}
function foreignCores(a, b) {
  if (!a || !b || b.t <= a.t) return NaN;
  return Math.max(0, b.busy - a.busy - (b.mine - a.mine)) / 100 / ((b.t - a.t) / 1000);
}
const kilnStamp = () =>
  ['dist/index.js', 'kiln-nn.linux-x64-gnu.node']
    .map((f) => {
      try {
        return statSync(join(ROOT, f)).mtimeMs;
      } catch {
        return 0;
      }
    })
    .join(',');
const foreign = []; // [label, cores]
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let waitedS = 0;
/** Waits (up to BENCH_WAIT_QUIET_S) until other processes use less than a quarter of a core. */
function waitQuiet() {
  if (!(CFG.waitQuietS > 0)) return;
  const t0 = Date.now();
  let warned = false;
  for (;;) {
    const a = cpuTicks();
    sleepSync(500);
    const c = foreignCores(a, cpuTicks());
    if (!(c > 0.25) || Date.now() - t0 > CFG.waitQuietS * 1000) break;
    if (!warned) {
      log(`  (other processes busy ${c.toFixed(2)} cores: waiting up to ${CFG.waitQuietS} s)`);
      warned = true;
    }
  }
  waitedS += (Date.now() - t0) / 1000;
}

// ---------------------------------------------------------------- child processes
const errors = [];
const log = (s) => process.stderr.write(s + '\n');

function runJob(job) {
  waitQuiet();
  const t0 = Date.now();
  const c0 = cpuTicks();
  const r = spawnSync(job.cmd, job.args, {
    cwd: BENCH,
    env: { ...env, TF_CPP_MIN_LOG_LEVEL: '2', ...job.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: CFG.timeoutS * 1000,
    killSignal: 'SIGKILL',
  });
  const secs = (Date.now() - t0) / 1000;
  const other = foreignCores(c0, cpuTicks());
  foreign.push([job.label, other]);
  const busyNote = other > 0.25 ? `  [other processes busy ${other.toFixed(2)} cores]` : '';
  let out = null;
  const lines = (r.stdout || '').trim().split('\n').reverse();
  for (const l of lines) {
    if (l.startsWith('{')) {
      try {
        out = JSON.parse(l);
        break;
      } catch {
        /* not ours */
      }
    }
  }
  if (r.status !== 0 || !out) {
    const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
    const tail = (r.stderr || '')
      .trim()
      .split('\n')
      .filter((l) => !/^(I0000|WARNING: All log)/.test(l))
      .slice(-3)
      .join(' | ');
    errors.push(`${job.label}: ${why}: ${tail.slice(0, 600)}`);
    log(`  ${job.label.padEnd(44)} FAILED (${why}) ${tail.slice(0, 300)}`);
    return null;
  }
  log(`  ${job.label.padEnd(44)} ${secs.toFixed(1)} s  ${job.brief ? job.brief(out) : ''}${busyNote}`);
  return out;
}

const node = (script, args = [], extraEnv = {}, nodeFlags = []) => ({
  cmd: process.execPath,
  args: [...nodeFlags, join(BENCH, script), ...args.map(String)],
  env: extraEnv,
});
const py = (script, args = [], extraEnv = {}) => ({
  cmd: CFG.python,
  args: [join(BENCH, script), ...args.map(String)],
  env: extraEnv,
});

// results[workload][key][system] = [measurement objects]
const results = {};
const record = (w, key, sys, val) => {
  ((results[w] ??= {})[key] ??= {})[sys] ??= [];
  results[w][key][sys].push(val);
};

// ---------------------------------------------------------------- jobs per repetition
function gemmJobs(rep) {
  const jobs = [];
  if (rep >= CFG.gemmReps) return jobs;
  for (const threads of ['1', 'all']) {
    const key = threads === '1' ? 'threads=1' : `threads=${NCPU}`;
    const gArgs = ['--min-time', CFG.gemmMinTime, '--trials', CFG.gemmTrials];
    const brief = (o) =>
      Object.entries(o.results[key] ?? o.results)
        .map(([k, v]) => `${k.replace(/^seed_/, '')}=${v}`)
        .join(' ');
    if (kilnAvailable) {
      // All cores is kiln's default; named explicitly, since an empty KILN_NUM_THREADS is refused.
      const kEnv = { KILN_NUM_THREADS: threads === '1' ? '1' : String(NCPU) };
      jobs.push({ sys: 'kiln', label: `gemm kiln ${key}`, ...node('kiln/gemm.mjs', gArgs, kEnv), brief, save: (o) => record('gemm', key, 'kiln', o.results) });
    }
    if (hasPeer('numpy') && pythonOk) {
      jobs.push({
        sys: 'numpy',
        label: `gemm numpy ${key}`,
        ...py('peers/gemm_numpy.py', ['--threads', threads === '1' ? 1 : NCPU, ...gArgs]),
        brief,
        save: (o) => record('gemm', key, 'numpy', o.results[key]),
      });
    }
    if (torchOk()) {
      jobs.push({
        sys: 'torch',
        label: `gemm torch ${key}`,
        ...py('peers/gemm_torch.py', ['--threads', threads === '1' ? 1 : NCPU, ...gArgs]),
        brief,
        save: (o) => record('gemm', key, 'torch', o.results[key]),
      });
    }
  }
  return jobs;
}

function mlpJobs(rep) {
  const jobs = [];
  if (rep >= CFG.reps) return jobs;
  const brief = (o) => `${o.samples_per_s} samples/s, test acc ${o.test_accuracy}`;
  for (const batch of CFG.mlpBatches) {
    const key = `batch=${batch}`;
    const save = (sys) => (o) => record('mlp', key, sys, o);
    if (kilnAvailable) {
      jobs.push({ sys: 'kiln', label: `mlp kiln b${batch}`, brief, save: save('kiln'), ...node('kiln/mlp.mjs', ['--batch', batch, '--epochs', CFG.mlpEpochs]) });
    }
    for (const backend of ['jax', 'tensorflow']) {
      if (!hasPeer(`keras-${backend}`) || !pythonOk) continue;
      jobs.push({
        sys: `keras-${backend}`,
        label: `mlp keras-${backend} b${batch}`,
        brief,
        save: save(`keras-${backend}`),
        ...py('peers/mlp_keras.py', ['--backend', backend, '--batch', batch, '--epochs', CFG.mlpEpochs], { KERAS_BACKEND: backend }),
      });
    }
    if (torchOk()) {
      jobs.push({ sys: 'torch', label: `mlp torch b${batch}`, brief, save: save('torch'), ...py('peers/mlp_torch.py', ['--batch', batch, '--epochs', CFG.mlpEpochs]) });
    }
    if (hasPeer('tfjs-wasm') && tfjsOk) {
      jobs.push({
        sys: 'tfjs-wasm',
        label: `mlp tfjs-wasm b${batch}`,
        brief,
        save: save('tfjs-wasm'),
        ...node('peers/mlp_tfjs.mjs', ['--backend', 'wasm', '--batch', batch, '--epochs', CFG.tfjsEpochs]),
      });
    }
    if (hasPeer('tfjs-cpu') && tfjsOk && batch === 32 && rep < CFG.tfjsCpuReps) {
      jobs.push({
        sys: 'tfjs-cpu',
        label: `mlp tfjs-cpu b${batch}`,
        brief,
        save: save('tfjs-cpu'),
        ...node('peers/mlp_tfjs.mjs', ['--backend', 'cpu', '--batch', batch, '--epochs', 1, '--train-samples', CFG.tfjsCpuSamples, '--max-seconds', CFG.tfjsCpuMaxSeconds]),
      });
    }
  }
  return jobs;
}

function cnnJobs(rep) {
  const jobs = [];
  if (rep >= CFG.cnnReps) return jobs;
  const key = `batch=${CFG.cnnBatch}`;
  const save = (sys) => (o) => record('cnn', key, sys, o);
  const brief = (o) => (o.error ? `cannot train: ${o.error}` : `${o.samples_per_s} samples/s, test acc ${o.test_accuracy}`);
  const cArgs = ['--batch', CFG.cnnBatch, '--epochs', CFG.cnnEpochs, '--steps', CFG.cnnSteps, '--warmup-steps', CFG.cnnWarmupSteps];
  if (kilnAvailable) {
    jobs.push({ sys: 'kiln', label: `cnn kiln b${CFG.cnnBatch}`, brief, save: save('kiln'), ...node('kiln/cnn.mjs', cArgs) });
  }
  for (const backend of ['jax', 'tensorflow']) {
    if (!hasPeer(`keras-${backend}`) || !pythonOk) continue;
    jobs.push({
      sys: `keras-${backend}`,
      label: `cnn keras-${backend} b${CFG.cnnBatch}`,
      brief,
      save: save(`keras-${backend}`),
      ...py('peers/cnn_keras.py', ['--backend', backend, ...cArgs], { KERAS_BACKEND: backend }),
    });
  }
  if (torchOk()) {
    jobs.push({ sys: 'torch', label: `cnn torch b${CFG.cnnBatch}`, brief, save: save('torch'), ...py('peers/cnn_torch.py', cArgs) });
  }
  // tfjs-wasm cannot train it (no Conv2DBackpropFilter kernel): one run records the error text
  if (hasPeer('tfjs-wasm') && tfjsOk && rep === 0) {
    jobs.push({ sys: 'tfjs-wasm', label: `cnn tfjs-wasm b${CFG.cnnBatch}`, brief, save: save('tfjs-wasm'), ...node('peers/cnn_tfjs.mjs', ['--backend', 'wasm', ...cArgs]) });
  }
  if (hasPeer('tfjs-cpu') && tfjsOk && CFG.cnnTfjsCpu && rep === 0) {
    jobs.push({
      sys: 'tfjs-cpu',
      label: `cnn tfjs-cpu b${CFG.cnnBatch}`,
      brief,
      save: save('tfjs-cpu'),
      ...node('peers/cnn_tfjs.mjs', ['--backend', 'cpu', '--batch', CFG.cnnBatch, '--epochs', 1, '--steps', CFG.cnnTfjsCpuSteps, '--warmup-steps', 1, '--test-samples', 256]),
    });
  }
  return jobs;
}

function rnnJobs(rep) {
  const jobs = [];
  if (rep >= CFG.rnnReps) return jobs;
  const key = `batch=${CFG.rnnBatch}`;
  const save = (sys) => (o) => record('rnn', key, sys, o);
  const brief = (o) => `${o.samples_per_s} samples/s`;
  const rArgs = ['--batch', CFG.rnnBatch, '--samples', CFG.rnnSamples];
  if (kilnAvailable) {
    jobs.push({ sys: 'kiln', label: `rnn kiln b${CFG.rnnBatch}`, brief, save: save('kiln'), ...node('kiln/rnn.mjs', [...rArgs, '--epochs', CFG.rnnEpochs]) });
  }
  for (const backend of ['jax', 'tensorflow']) {
    if (!hasPeer(`keras-${backend}`) || !pythonOk) continue;
    jobs.push({
      sys: `keras-${backend}`,
      label: `rnn keras-${backend} b${CFG.rnnBatch}`,
      brief,
      save: save(`keras-${backend}`),
      ...py('peers/rnn_keras.py', ['--backend', backend, ...rArgs, '--epochs', CFG.rnnEpochs], { KERAS_BACKEND: backend }),
    });
  }
  if (torchOk()) {
    jobs.push({ sys: 'torch', label: `rnn torch b${CFG.rnnBatch}`, brief, save: save('torch'), ...py('peers/rnn_torch.py', [...rArgs, '--epochs', CFG.rnnEpochs]) });
  }
  if (hasPeer('tfjs-wasm') && tfjsOk) {
    jobs.push({
      sys: 'tfjs-wasm',
      label: `rnn tfjs-wasm b${CFG.rnnBatch}`,
      brief,
      save: save('tfjs-wasm'),
      ...node('peers/rnn_tfjs.mjs', ['--backend', 'wasm', ...rArgs, '--epochs', CFG.tfjsRnnEpochs]),
    });
  }
  return jobs;
}

function memoryJobs(rep) {
  if (!kilnAvailable || rep >= CFG.memoryReps) return [];
  return [
    {
      sys: 'kiln',
      label: 'memory kiln',
      save: (o) => record('memory', 'kiln', 'kiln', o),
      brief: (o) => `peak ${o.peak_rss_mb} MB, epoch2 ${o.rss_epoch2_mb} MB, epoch${o.growth_epochs} ${o.rss_epoch20_mb} MB`,
      ...node('kiln/memory.mjs', ['--mode', 'both', '--peak-epochs', 5, '--growth-epochs', CFG.growthEpochs, '--growth-samples', CFG.growthSamples], {}, ['--expose-gc']),
    },
  ];
}

// kiln's own ONNX exports for onnxruntime-node, written once per run (not timed) into
// benches/.cache/onnx; null when the export failed (recorded in the failures).
const onnxFiles = {};
function onnxFile(model, size) {
  const key = `${model}_${size}`;
  if (key in onnxFiles) return onnxFiles[key];
  const out = join(BENCH, '.cache/onnx', `${key}.onnx`);
  mkdirSync(dirname(out), { recursive: true });
  const r = runJob({
    label: `export ${model} to ONNX`,
    ...node('kiln/export_onnx.mjs', ['--model', model, '--size', size, '--out', out]),
    brief: (o) => `${(o.bytes / 2 ** 20).toFixed(1)} MiB`,
    quiet: true,
  });
  onnxFiles[key] = r ? out : null;
  return onnxFiles[key];
}

function inferJobs(rep) {
  const jobs = [];
  if (rep >= CFG.inferReps) return jobs;
  const iArgs = ['--latency-calls', CFG.inferCalls, '--latency-warmup', CFG.inferWarmup, '--batch', CFG.inferBatch, '--min-time', CFG.inferMinTime];
  const save = (sys) => (o) => record('infer', 'seed_mlp', sys, o);
  const brief = (o) =>
    `${Object.entries(o.latency)
      .map(([k, v]) => `${k} p50 ${v.p50_ms} ms p99 ${v.p99_ms} ms`)
      .join(', ')}; batch ${o.batch}: ${o.throughput.samples_per_s} samples/s`;
  if (kilnAvailable) jobs.push({ sys: 'kiln', label: 'infer kiln', brief, save: save('kiln'), ...node('kiln/infer_mlp.mjs', iArgs) });
  if (torchOk()) jobs.push({ sys: 'torch', label: 'infer torch', brief, save: save('torch'), ...py('peers/infer_mlp_torch.py', iArgs) });
  for (const backend of ['jax', 'tensorflow']) {
    if (!hasPeer(`keras-${backend}`) || !pythonOk) continue;
    jobs.push({
      sys: `keras-${backend}`,
      label: `infer keras-${backend}`,
      brief,
      save: save(`keras-${backend}`),
      ...py('peers/infer_mlp_keras.py', ['--backend', backend, ...iArgs], { KERAS_BACKEND: backend }),
    });
  }
  if (hasPeer('tfjs-wasm') && tfjsOk) {
    jobs.push({ sys: 'tfjs-wasm', label: 'infer tfjs-wasm', brief, save: save('tfjs-wasm'), ...node('peers/infer_mlp_tfjs.mjs', ['--backend', 'wasm', ...iArgs]) });
  }
  if (hasPeer('tfjs-cpu') && tfjsOk && rep < CFG.tfjsCpuReps) {
    jobs.push({ sys: 'tfjs-cpu', label: 'infer tfjs-cpu', brief, save: save('tfjs-cpu'), ...node('peers/infer_mlp_tfjs.mjs', ['--backend', 'cpu', ...iArgs]) });
  }
  if (hasPeer('onnxruntime') && ortOk && kilnAvailable) {
    const file = onnxFile('seed_mlp', 28);
    if (file) jobs.push({ sys: 'onnxruntime', label: 'infer onnxruntime', brief, save: save('onnxruntime'), ...node('peers/infer_mlp_ort.mjs', ['--model', file, ...iArgs]) });
  }
  return jobs;
}

function appsJobs(rep) {
  const jobs = [];
  if (rep >= CFG.appsReps) return jobs;
  const common = ['--batches', CFG.appsBatches.join(','), '--size', CFG.appsSize, '--min-time', CFG.appsMinTime, '--min-calls', CFG.appsMinCalls];
  const models = ['--models', CFG.appsModels.join(',')];
  const save = (sys) => (o) => record('apps', 'apps', sys, o);
  const brief = (o) =>
    Object.entries(o.results)
      .map(([m, r]) => `${m} ${CFG.appsBatches.map((b) => `b${b} ${r[`batch=${b}`]?.samples_per_s}`).join(' ')}`)
      .join(', ') + ' samples/s';
  if (kilnAvailable) jobs.push({ sys: 'kiln', label: 'apps kiln', brief, save: save('kiln'), ...node('kiln/infer_apps.mjs', [...models, ...common]) });
  if (hasPeer('onnxruntime') && ortOk && kilnAvailable) {
    const files = CFG.appsModels.map((m) => [m, onnxFile(m, CFG.appsSize)]).filter(([, f]) => f);
    if (files.length) {
      jobs.push({
        sys: 'onnxruntime',
        label: 'apps onnxruntime',
        brief,
        save: save('onnxruntime'),
        ...node('peers/infer_apps_ort.mjs', ['--files', files.map(([m, f]) => `${m}=${f}`).join(','), ...common]),
      });
    }
  }
  for (const backend of CFG.appsKeras) {
    if (!hasPeer(`keras-${backend}`) || !pythonOk) continue;
    jobs.push({
      sys: `keras-${backend}`,
      label: `apps keras-${backend}`,
      brief,
      save: save(`keras-${backend}`),
      ...py('peers/infer_apps_keras.py', ['--backend', backend, ...models, ...common], { KERAS_BACKEND: backend }),
    });
  }
  if (torchOk()) {
    if (pythonHas('torchvision')) jobs.push({ sys: 'torch', label: 'apps torch', brief, save: save('torch'), ...py('peers/infer_apps_torch.py', [...models, ...common]) });
    else if (rep === 0) errors.push('apps torch: torchvision does not import in the bench Python; PyTorch skipped for ResNet50/MobileNetV2');
  }
  return jobs;
}

/** Workload 7: benches/serve.mjs, once (it alternates and repeats inside); it writes its own section. */
function runServing() {
  if (!kilnAvailable || !ortOk) {
    errors.push(`serving: not run (${!kilnAvailable ? kilnSkipReason : 'onnxruntime-node missing in benches/node_modules'})`);
    return;
  }
  waitQuiet();
  log('serving (benches/serve.mjs)');
  const r = spawnSync(process.execPath, [join(BENCH, 'serve.mjs')], {
    cwd: ROOT,
    env: { ...env, BENCH_RESULTS: CFG.resultsPath },
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: CFG.timeoutS * 1000,
    killSignal: 'SIGKILL',
  });
  if (r.status !== 0) errors.push(`serving: benches/serve.mjs exit ${r.status ?? r.signal}`);
}

/** Not in the default workloads (≈ 3–4 minutes): benches/profile.mjs, which writes its own section. */
function runProfiles() {
  if (!kilnAvailable) {
    errors.push(`profile: not run (${kilnSkipReason})`);
    return;
  }
  waitQuiet();
  log('profiles (benches/profile.mjs)');
  const r = spawnSync(process.execPath, [join(BENCH, 'profile.mjs')], {
    cwd: ROOT,
    env: { ...env, BENCH_RESULTS: CFG.resultsPath },
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: CFG.timeoutS * 1000,
    killSignal: 'SIGKILL',
  });
  if (r.status !== 0) errors.push(`profile: benches/profile.mjs exit ${r.status ?? r.signal}`);
}

// ---------------------------------------------------------------- run
const t0 = Date.now();
const stampStart = kilnAvailable ? kilnStamp() : '';
const cpuStart = cpuTicks();
const loadStart = os.loadavg()[0];
if (loadStart > 0.5) log(`warning: load average ${loadStart.toFixed(2)} before the run; the numbers will be noisy`);
const totalReps = Math.max(
  ...[
    ['gemm', CFG.gemmReps],
    ['mlp', CFG.reps],
    ['cnn', CFG.cnnReps],
    ['rnn', CFG.rnnReps],
    ['memory', CFG.memoryReps],
    ['infer', CFG.inferReps],
    ['apps', CFG.appsReps],
  ]
    .filter(([w]) => CFG.workloads.includes(w))
    .map(([, r]) => r),
  0,
);
log(`kiln-nn benchmarks: ${CFG.reps} reps (GEMM ${CFG.gemmReps}), workloads ${CFG.workloads.join(',')}, kiln ${kilnAvailable ? 'on' : `off (${kilnSkipReason})`}`);
if (!pythonOk) log(`  python peers skipped: ${CFG.python} missing (run benches/setup.sh)`);
if (!tfjsOk) log('  tfjs peers skipped: benches/node_modules missing (run benches/setup.sh)');
if (hasPeer('torch') && pythonOk && !pythonHas('torch')) log('  PyTorch skipped: torch does not import in the bench Python (run benches/setup.sh)');
for (let rep = 0; rep < totalReps; rep++) {
  log(`rep ${rep + 1}/${totalReps}`);
  const groups = [];
  if (CFG.workloads.includes('gemm')) groups.push(gemmJobs(rep));
  if (CFG.workloads.includes('mlp')) groups.push(mlpJobs(rep));
  if (CFG.workloads.includes('cnn')) groups.push(cnnJobs(rep));
  if (CFG.workloads.includes('rnn')) groups.push(rnnJobs(rep));
  if (CFG.workloads.includes('memory')) groups.push(memoryJobs(rep));
  if (CFG.workloads.includes('infer')) groups.push(inferJobs(rep));
  if (CFG.workloads.includes('apps')) groups.push(appsJobs(rep));
  for (const jobs of groups) {
    // alternate: kiln first on even reps, peers first on odd reps (within each shape/batch pair)
    const ordered = rep % 2 === 0 ? jobs : interleaveReversed(jobs);
    for (const job of ordered) {
      const out = runJob(job);
      if (out) job.save(out);
    }
  }
}
if (CFG.workloads.includes('serving')) runServing();
if (CFG.workloads.includes('profile')) runProfiles();
const totalS = (Date.now() - t0) / 1000;
const foreignAll = foreignCores(cpuStart, cpuTicks());
const rebuilt = kilnAvailable && kilnStamp() !== stampStart;
if (rebuilt) log('warning: kiln-nn was rebuilt during the run (dist/index.js or the .node changed): the kiln numbers mix builds');

function interleaveReversed(jobs) {
  // reverse the order inside each run of jobs sharing a label prefix (same workload + config)
  const groups = [];
  for (const j of jobs) {
    const k = j.label
      .split(' ')
      .filter((_, i) => i !== 1)
      .join(' ');
    const g = groups.find((x) => x.k === k);
    if (g) g.jobs.push(j);
    else groups.push({ k, jobs: [j] });
  }
  return groups.flatMap((g) => g.jobs.reverse());
}

// ---------------------------------------------------------------- report
function cpuInfo() {
  try {
    const txt = readFileSync('/proc/cpuinfo', 'utf8');
    const model = (txt.match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0]?.model;
    const flags = (txt.match(/^flags\s*:\s*(.*)$/m) || [])[1] || '';
    const simd = ['avx2', 'fma', 'avx512f', 'avx512_bf16', 'avx512_vnni'].filter((f) => flags.split(' ').includes(f));
    return { model, simd };
  } catch {
    return { model: os.cpus()[0]?.model, simd: [] };
  }
}

function versions() {
  const v = { node: process.versions.node };
  try {
    v.tfjs = JSON.parse(readFileSync(join(BENCH, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8')).version;
    v['tfjs-backend-wasm'] = JSON.parse(readFileSync(join(BENCH, 'node_modules/@tensorflow/tfjs-backend-wasm/package.json'), 'utf8')).version;
  } catch {
    /* not installed */
  }
  try {
    v['onnxruntime-node'] = JSON.parse(readFileSync(join(BENCH, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version;
  } catch {
    /* not installed */
  }
  if (pythonOk) {
    const code =
      'import importlib.metadata as m, json, sys\n' +
      'out = {"python": sys.version.split()[0]}\n' +
      'for d in ["numpy", "torch", "torchvision", "keras", "jax", "jaxlib", "tensorflow-cpu", "tensorflow", "scipy-openblas32", "scipy-openblas64"]:\n' +
      '    try: out[d] = m.version(d)\n    except Exception: pass\n' +
      'print(json.dumps(out))';
    const r = spawnSync(CFG.python, ['-c', code], { encoding: 'utf8' });
    try {
      Object.assign(v, JSON.parse(r.stdout));
    } catch {
      /* ignore */
    }
  }
  try {
    v['kiln-nn'] = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    const g = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
    v['kiln-nn'] += g.status === 0 ? ` (git ${g.stdout.trim()}${gitDirty() ? ', dirty tree' : ''})` : ' (no commit yet)';
  } catch {
    /* ignore */
  }
  return v;
}
function gitDirty() {
  const g = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'ts', 'crates'], { encoding: 'utf8' });
  return g.status === 0 && g.stdout.trim().length > 0;
}

const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const spread = (xs, d = 1) => (xs.length > 1 ? ` (${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)})` : '');

function table(headers, rows) {
  const md = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const txt = [headers, ...rows].map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  '));
  txt.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return { md: md.join('\n'), txt: txt.join('\n') };
}

const sections = [];
const section = (title, note, t) => sections.push({ title, note, t });

// GEMM
if (results.gemm) {
  const shapes = ['n128', 'n256', 'n512', 'n1024', 'seed_fwd_32x784x128', 'seed_dW_784x32x128', 'seed_dX_32x128x784', 'seed_dW_pre_784x32x128', 'seed_dX_pre_32x128x784'];
  const rows = [];
  for (const key of Object.keys(results.gemm)) {
    const r = results.gemm[key];
    for (const s of shapes) {
      const k = (r.kiln || []).map((o) => o[s]);
      const n = (r.numpy || []).map((o) => o[s]);
      const pt = (r.torch || []).map((o) => o[s]);
      rows.push([key, s, fmt(median(k)) + spread(k), fmt(median(n)) + spread(n), fmt(ratio(median(k), median(n)), 2), fmt(median(pt)) + spread(pt), fmt(ratio(median(k), median(pt)), 2)]);
    }
  }
  section(
    '1. GEMM f32 (GFLOP/s, higher is better)',
    'Median over repetitions of the median of trials. Ratio = kiln / numpy: above 1 means kiln is faster. ' +
      "seed_dW is x^T·dY with x stored [32,784] (kiln: `a.transpose()` then `matmul`, timed together; a matrix transpose is a view that `matmul` reads in place, like numpy's `.T`); " +
      'seed_dX is dY·W^T with W stored [784,128]; the _pre rows are the same products with the transposed operand already stored contiguous (no transpose timed). numpy: OpenBLAS with OPENBLAS_NUM_THREADS/OMP_NUM_THREADS set; ' +
      'kiln: KILN_NUM_THREADS=1, or unset for all cores. PyTorch: `torch.mm` on transposed views (no copy), torch.set_num_threads.',
    table(['threads', 'shape (m x k x n)', 'kiln', 'numpy (OpenBLAS)', 'kiln/numpy', 'torch.mm', 'kiln/torch'], rows),
  );
}

// MLP
const mlpSystems = ['kiln', 'torch', 'keras-jax', 'keras-tensorflow', 'tfjs-wasm', 'tfjs-cpu'];
if (results.mlp) {
  for (const key of Object.keys(results.mlp)) {
    const r = results.mlp[key];
    const med = (sys) => median((r[sys] || []).map((o) => o.samples_per_s));
    const peers = mlpSystems.filter((s) => s !== 'kiln' && r[s]?.length);
    const best = peers.reduce((b, s) => (!b || med(s) > med(b) ? s : b), null);
    const kMed = med('kiln');
    const rows = mlpSystems
      .filter((s) => r[s]?.length)
      .map((s) => {
        const xs = r[s].map((o) => o.samples_per_s);
        const o0 = r[s][0];
        const epochs = s.startsWith('tfjs') ? `${o0.epochs}${o0.partial_training ? `, ${o0.train_samples}-sample subset` : ''}` : String(o0.epochs);
        return [
          s + (s === best ? ' (fastest peer)' : ''),
          fmt(median(xs), 0) + spread(xs, 0),
          String(xs.length),
          fmt(median(r[s].map((o) => o.test_accuracy)), 4),
          epochs,
          fmt(median(r[s].map((o) => o.peak_rss_mb)), 0),
          s === 'kiln' ? '—' : fmt(ratio(kMed, med(s)), 2),
        ];
      });
    section(
      `2. Seed MLP, ${key} (training samples/s, higher is better)`,
      "Steady state: epoch 1 excluded (Keras, kiln and tfjs-wasm time epochs 2..N with an epoch callback; PyTorch times its own loop's epochs the same way, with Keras' initializers and Adam epsilon); " +
        `tfjs-cpu trains 1 epoch on a ${CFG.tfjsCpuSamples}-sample subset (stopped after ${CFG.tfjsCpuMaxSeconds} s) and is timed over its steps after the first 20. ` +
        'Ratio = kiln samples/s / peer samples/s: above 1 means kiln is faster; the bar is the fastest peer. ' +
        'Test accuracy is after the listed number of epochs. Peak RSS is of the whole process (Python processes include the framework).',
      table(['system', 'samples/s median (min–max)', 'reps', 'test acc', 'epochs', 'peak RSS MB', 'kiln/peer'], rows),
    );
  }
}

// CNN and RNN
const seqSystems = ['kiln', 'torch', 'keras-jax', 'keras-tensorflow', 'tfjs-wasm', 'tfjs-cpu'];
function speedTable(r, { acc }) {
  const ok = (s) => (r[s] || []).filter((o) => Number.isFinite(o.samples_per_s));
  const med = (s) => median(ok(s).map((o) => o.samples_per_s));
  const peers = seqSystems.filter((s) => s !== 'kiln' && ok(s).length);
  const best = peers.reduce((b, s) => (!b || med(s) > med(b) ? s : b), null);
  const kMed = med('kiln');
  const rows = seqSystems
    .filter((s) => r[s]?.length)
    .map((s) => {
      const good = ok(s);
      const xs = good.map((o) => o.samples_per_s);
      const failed = r[s].find((o) => o.error);
      const o0 = good[0] || r[s][0];
      const speed = good.length ? fmt(median(xs), 0) + spread(xs, 0) : `cannot train: ${failed ? failed.error : 'n/a'}`;
      const row = [s + (s === best ? ' (fastest peer)' : ''), speed, String(good.length || r[s].length)];
      if (acc) {
        row.push(good.length ? fmt(median(good.map((o) => o.test_accuracy)), 4) + (o0.test_samples && o0.test_samples < 10000 ? ` (${o0.test_samples} test samples)` : '') : '—');
        row.push(good.length ? (o0.partial_training ? `${o0.timing}` : `${o0.epochs} x ${o0.train_samples}`) : '—');
      } else {
        row.push(good.length ? fmt(median(good.map((o) => o.train_loss[o.train_loss.length - 1])), 4) : '—');
        row.push(good.length ? `${o0.epochs} (${o0.epochs - o0.warmup_epochs} timed)` : '—');
      }
      row.push(fmt(median(r[s].map((o) => o.peak_rss_mb)), 0));
      row.push(s === 'kiln' || !good.length ? '—' : fmt(ratio(kMed, med(s)), 2));
      return row;
    });
  return rows;
}
if (results.cnn) {
  for (const key of Object.keys(results.cnn)) {
    const rows = speedTable(results.cnn[key], { acc: true });
    if (!results.cnn[key]['tfjs-cpu'] && hasPeer('tfjs-cpu') && tfjsOk) {
      rows.push(['tfjs-cpu', 'not run: absurdly slow (≈2 samples/s: 35–45 s a batch-64 step when tried here); BENCH_CNN_TFJS_CPU=1 runs it', '0', '—', '—', '—', '—']);
    }
    const steps = CFG.cnnSteps > 0 ? Math.min(CFG.cnnSteps * CFG.cnnBatch, 60000) : 60000;
    section(
      `3. Seed CNN, ${key} (training samples/s, higher is better)`,
      `Conv2D 32 3x3 relu → MaxPooling2D 2 → Conv2D 64 3x3 relu → MaxPooling2D 2 → Flatten → Dense 128 relu → Dense 10 softmax, ` +
        'Adam, sparse categorical cross-entropy, x/255 [N,28,28,1]. Every system runs the same protocol: an untimed warm-up fit of one epoch ' +
        `on ${CFG.cnnWarmupSteps} batches (compilation, tracing), then a fit of ${CFG.cnnEpochs} epochs on the first ${steps} training samples ` +
        `(${Math.ceil(steps / CFG.cnnBatch)} steps an epoch, shuffled), each epoch timed by an epoch callback: samples/s = samples of the timed fit / its time. ` +
        `Test accuracy is on the full 10,000-sample test set after that training (so after ${CFG.cnnEpochs} epochs of a ${steps}-sample subset, not of the full set). ` +
        'Ratio = kiln / peer: above 1 means kiln is faster; the bar is the fastest peer. ' +
        'PyTorch trains the same model in its NCHW layout (the 1-channel images as [N, 1, 28, 28]). ' +
        'TensorFlow.js on wasm has no Conv2DBackpropFilter kernel, so it cannot train this model (the error is its exception text).',
      table(['system', 'samples/s median (min–max)', 'reps', 'test acc', 'timed epochs x samples', 'peak RSS MB', 'kiln/peer'], rows),
    );
  }
}
if (results.rnn) {
  for (const key of Object.keys(results.rnn)) {
    section(
      `4. Seed RNN, ${key} (training samples/s, higher is better)`,
      `SimpleRNN 64 relu over [10 steps, 20 features] → Dense 1 sigmoid, Adam, binary cross-entropy, on ${CFG.rnnSamples} generated samples ` +
        '(uniform x, random 0/1 labels: the same numbers in every system, from a counter-based hash of each element index, lib/common.mjs rnnData / peers/common.py rnn_data). ' +
        'Steady state: epoch 1 excluded, samples/s over the later epochs (epoch callback). The labels are random, so only the speed matters; ' +
        "the last epoch's training loss (≈0.69) is shown as a sanity check. Ratio = kiln / peer: above 1 means kiln is faster; the bar is the fastest peer.",
      table(['system', 'samples/s median (min–max)', 'reps', 'last train loss', 'epochs', 'peak RSS MB', 'kiln/peer'], speedTable(results.rnn[key], { acc: false })),
    );
  }
}

// Inference: seed-MLP latency and batch throughput
const inferSystems = ['kiln', 'torch', 'keras-jax', 'keras-tensorflow', 'tfjs-wasm', 'tfjs-cpu', 'onnxruntime'];
const ROUTES = {
  kiln: { predictOnBatch: '`model.predictOnBatch(x)` (synchronous)', predict: '`await model.predict(x)`' },
  torch: { call: 'direct call `model(x)` under `torch.inference_mode()`' },
  'keras-jax': { predict_on_batch: '`model.predict_on_batch(x)`', call: 'direct call `model(x, training=False)`' },
  'keras-tensorflow': { predict_on_batch: '`model.predict_on_batch(x)`', call: 'direct call `model(x, training=False)`' },
  'tfjs-wasm': { predict: '`model.predict(x)`' },
  'tfjs-cpu': { predict: '`model.predict(x)`' },
  onnxruntime: { run: "`await session.run(feeds)` on kiln's ONNX export" },
};
const latencyOf = (sys, route, key = 'p50_ms') => median((results.infer?.seed_mlp?.[sys] || []).map((o) => o.latency?.[route]?.[key]));
const inferSps = (sys) => median((results.infer?.seed_mlp?.[sys] || []).map((o) => o.throughput?.samples_per_s));
if (results.infer?.seed_mlp) {
  const r = results.infer.seed_mlp;
  const kBase = latencyOf('kiln', 'predictOnBatch');
  const rows = [];
  for (const sys of inferSystems.filter((x) => r[x]?.length)) {
    for (const route of Object.keys(ROUTES[sys])) {
      const xs = r[sys].map((o) => o.latency?.[route]?.p50_ms).filter(Number.isFinite);
      if (!xs.length) continue;
      rows.push([
        sys,
        ROUTES[sys][route],
        fmt(median(xs), 4) + spread(xs, 4),
        fmt(latencyOf(sys, route, 'p99_ms'), 4),
        String(xs.length),
        sys === 'kiln' && route === 'predictOnBatch' ? '—' : fmt(ratio(median(xs), kBase), 2),
      ]);
    }
  }
  section(
    '5a. Seed MLP inference: latency of one sample (ms, lower is better)',
    `The seed MLP with its initial random weights in each system, one [1, 28, 28] sample, the result read into the host language (kiln/tfjs \`dataSync()\`, \`.numpy()\`, onnxruntime's output array). ` +
      `${CFG.inferWarmup} untimed calls, then ${CFG.inferCalls} calls timed one by one: p50 and p99 of those calls, median over repetitions. ` +
      "Ratio = this p50 / kiln predictOnBatch p50: above 1 means kiln's synchronous call is faster. tfjs-cpu runs " +
      `${CFG.tfjsCpuReps} repetition(s).`,
    table(['system', 'call', 'p50 ms median (min–max)', 'p99 ms', 'reps', 'p50 / kiln predictOnBatch p50'], rows),
  );
  const peers = inferSystems.filter((x) => x !== 'kiln' && r[x]?.length && Number.isFinite(inferSps(x)));
  const best = peers.reduce((b, x) => (!b || inferSps(x) > inferSps(b) ? x : b), null);
  const tRows = inferSystems
    .filter((x) => r[x]?.length)
    .map((x) => {
      const xs = r[x].map((o) => o.throughput?.samples_per_s).filter(Number.isFinite);
      return [
        x + (x === best ? ' (fastest peer)' : ''),
        Object.values(ROUTES[x])[x === 'kiln' ? 1 : 0],
        fmt(median(xs), 0) + spread(xs, 0),
        String(xs.length),
        x === 'kiln' ? '—' : fmt(ratio(inferSps('kiln'), inferSps(x)), 2),
      ];
    });
  section(
    `5b. Seed MLP inference: throughput at batch ${CFG.inferBatch} (samples/s, higher is better)`,
    `One call on ${CFG.inferBatch} samples (kiln: \`predict(x, { batchSize: ${CFG.inferBatch} })\`; Keras: predict_on_batch), 2 untimed calls then calls timed one by one for at least ${CFG.inferMinTime} s and 5 calls; ` +
      'samples/s of the median call, median over repetitions. Ratio = kiln / peer: above 1 means kiln is faster.',
    table(['system', 'call', 'samples/s median (min–max)', 'reps', 'kiln/peer'], tRows),
  );
}

// Inference: ResNet50 and MobileNetV2
const appsSystems = ['kiln', 'onnxruntime', 'keras-tensorflow', 'keras-jax', 'torch'];
const appsSps = (sys, model, batch) => median((results.apps?.apps?.[sys] || []).map((o) => o.results?.[model]?.[`batch=${batch}`]?.samples_per_s));
if (results.apps?.apps) {
  const r = results.apps.apps;
  const rows = [];
  for (const model of CFG.appsModels) {
    for (const batch of CFG.appsBatches) {
      const kMed = appsSps('kiln', model, batch);
      for (const sys of appsSystems.filter((x) => r[x]?.length)) {
        const runs = r[sys].map((o) => o.results?.[model]?.[`batch=${batch}`]).filter(Boolean);
        if (!runs.length) continue;
        const xs = runs.map((o) => o.samples_per_s);
        rows.push([
          model,
          String(batch),
          sys,
          fmt(median(xs), 1) + spread(xs, 1),
          fmt(median(runs.map((o) => o.median_ms)), 1),
          String(xs.length),
          sys === 'kiln' ? '—' : fmt(ratio(kMed, median(xs)), 2),
        ]);
      }
    }
  }
  const ver = (sys, name) => r[sys]?.[0]?.versions?.[name];
  section(
    `5c. ResNet50 and MobileNetV2 inference at ${CFG.appsSize}x${CFG.appsSize}x3 (samples/s, higher is better)`,
    'Random weights (`weights: null` / `weights=None`), the 1000-class softmax classifier on, fixed inputs in [0, 1). ' +
      'kiln: `kiln.applications.X({ weights: null, inputShape })` and `await model.predict(x, { batchSize })`; ' +
      "onnxruntime: onnxruntime-node on kiln's own export of the same builder (`model.export(path, { format: 'onnx' })`, benches/.cache/onnx), default session options; " +
      `Keras: \`keras.applications.X(weights=None)\`, \`predict_on_batch\` (backends: ${CFG.appsKeras.join(', ')}); ` +
      `PyTorch: torchvision${ver('torch', 'torchvision') ? ` ${ver('torch', 'torchvision')}` : ''} resnet50 / mobilenet_v2 (weights=None) + softmax, NCHW input, \`torch.inference_mode()\`. ` +
      `One or two untimed calls, then calls timed one by one for at least ${CFG.appsMinTime} s and ${CFG.appsMinCalls} calls; samples/s of the median call, median over repetitions. ` +
      'Ratio = kiln / peer: above 1 means kiln is faster.',
    table(['model', 'batch', 'system', 'samples/s median (min–max)', 'ms per call', 'reps', 'kiln/peer'], rows),
  );
}

// Memory
if (results.memory?.kiln?.kiln?.length || results.mlp) {
  const m = results.memory?.kiln?.kiln || [];
  const g = (f) => median(m.map(f));
  const rows = [];
  if (m.length) {
    rows.push(['kiln peak RSS, 5-epoch fit, full data (MB)', fmt(g((o) => o.peak_rss_mb))]);
    rows.push(['kiln RSS before / after that fit (MB)', `${fmt(g((o) => o.rss_before_fit_mb))} / ${fmt(g((o) => o.rss_after_fit_mb))}`]);
    rows.push([`kiln RSS after epoch 2 (MB, ${m[0].growth_samples}-sample subset, gc ${m[0].gc ? 'on' : 'off'})`, fmt(g((o) => o.rss_epoch2_mb))]);
    rows.push([`kiln RSS after epoch ${m[0].growth_epochs} (MB)`, fmt(g((o) => o.rss_epoch20_mb))]);
    rows.push([`kiln RSS growth epoch 2 → ${m[0].growth_epochs} (MB, must not grow)`, fmt(g((o) => o.rss_growth_mb))]);
    rows.push([
      'kiln event-loop delay during the 5-epoch fit, p50 / p99 / max (ms)',
      `${fmt(
        g((o) => o.event_loop_delay_p50_ms),
        2,
      )} / ${fmt(
        g((o) => o.event_loop_delay_p99_ms),
        2,
      )} / ${fmt(
        g((o) => o.event_loop_delay_max_ms),
        2,
      )}`,
    ]);
  } else {
    rows.push(['kiln', `not measured (${!CFG.workloads.includes('memory') ? 'workload memory not in BENCH_WORKLOADS' : kilnAvailable ? 'failed' : kilnSkipReason})`]);
  }
  const b32 = results.mlp?.['batch=32'];
  if (b32) {
    const kPeak = median((b32.kiln || []).map((o) => o.peak_rss_mb));
    for (const s of mlpSystems.filter((x) => x !== 'kiln' && b32[x]?.length)) {
      const p = median(b32[s].map((o) => o.peak_rss_mb));
      rows.push([`${s} peak RSS, MLP run batch 32 (${b32[s][0].epochs} epochs${b32[s][0].partial_training ? ', subset' : ''}) (MB); kiln/peer`, `${fmt(p)}; ${fmt(ratio(kPeak, p), 2)}`]);
    }
  }
  section(
    '6. Memory (MB, lower is better)',
    'Peak RSS = process.resourceUsage().maxRSS (kiln, tfjs) or getrusage ru_maxrss (Python) of the whole process. ' +
      'Growth: RSS sampled after each epoch of one fit (after global.gc() with --expose-gc). ' +
      'kiln/peer ratios compare the peak RSS of the batch-32 MLP runs: below 1 means kiln uses less.',
    table(['measure', 'value'], rows),
  );
}

// Issue 15's targets, each against the fastest peer of its line (or the peer it names).
function targetsSection() {
  const rows = [];
  const verdict = (ok) => (ok === undefined ? 'not measured' : ok ? '**met**' : 'missed');
  const add = (target, measured, ok) => rows.push([target, measured, verdict(ok)]);
  const fastest = (speeds) =>
    Object.entries(speeds)
      .filter(([, v]) => Number.isFinite(v))
      .sort((a, b) => b[1] - a[1])[0];
  const vsFastest = (target, bar, kiln, speeds) => {
    const best = fastest(speeds);
    if (!Number.isFinite(kiln) || !best) return add(target, 'n/a', undefined);
    const r = kiln / best[1];
    add(target, `${fmt(r, 2)}× ${best[0]}`, r >= bar);
  };
  const sps = (w, key, sys) => median((results[w]?.[key]?.[sys] || []).map((o) => o.samples_per_s));
  const peerSpeeds = (w, key) =>
    Object.fromEntries(
      Object.keys(results[w]?.[key] || {})
        .filter((x) => x !== 'kiln')
        .map((x) => [x, sps(w, key, x)]),
    );
  const cnnKey = `batch=${CFG.cnnBatch}`;
  vsFastest(`Seed CNN training (batch ${CFG.cnnBatch}) ≥ 1.2× the fastest peer`, 1.2, sps('cnn', cnnKey, 'kiln'), peerSpeeds('cnn', cnnKey));
  for (const model of CFG.appsModels) {
    for (const batch of CFG.appsBatches) {
      const k = appsSps('kiln', model, batch);
      for (const [peer, bar] of [
        ['onnxruntime', 1.0],
        ['keras-tensorflow', 1.2],
      ]) {
        const p = appsSps(peer, model, batch);
        const r = ratio(k, p);
        add(
          `${model} inference ${CFG.appsSize}x${CFG.appsSize}, batch ${batch}: ≥ ${bar.toFixed(1)}× ${peer}`,
          Number.isFinite(r) ? `${fmt(r, 2)}×` : 'n/a',
          Number.isFinite(r) ? r >= bar : undefined,
        );
      }
    }
  }
  const kSync = latencyOf('kiln', 'predictOnBatch');
  const tCall = latencyOf('torch', 'call');
  add(
    "`predictOnBatch` of one seed-MLP sample: p50 no slower than PyTorch's direct call",
    Number.isFinite(kSync) && Number.isFinite(tCall) ? `${fmt(kSync, 4)} ms vs ${fmt(tCall, 4)} ms (${fmt(tCall / kSync, 2)}×)` : 'n/a',
    Number.isFinite(kSync) && Number.isFinite(tCall) ? kSync <= tCall : undefined,
  );
  const kAsync = latencyOf('kiln', 'predict');
  add('async `predict` of one sample: p50 ≤ 0.05 ms', Number.isFinite(kAsync) ? `${fmt(kAsync, 4)} ms` : 'n/a', Number.isFinite(kAsync) ? kAsync <= 0.05 : undefined);
  vsFastest(`Batch-${CFG.inferBatch} inference ≥ 1.2× the fastest peer`, 1.2, inferSps('kiln'), Object.fromEntries(inferSystems.filter((x) => x !== 'kiln').map((x) => [x, inferSps(x)])));
  for (const batch of CFG.mlpBatches) vsFastest(`Seed MLP training, batch ${batch} ≥ 1.3× the fastest peer`, 1.3, sps('mlp', `batch=${batch}`, 'kiln'), peerSpeeds('mlp', `batch=${batch}`));
  const rnnKey = `batch=${CFG.rnnBatch}`;
  vsFastest(`Seed RNN training (batch ${CFG.rnnBatch}) stays ≥ 1.2× the fastest peer`, 1.2, sps('rnn', rnnKey, 'kiln'), peerSpeeds('rnn', rnnKey));
  const gemmShapes = ['n256', 'n512', 'n1024', 'seed_fwd_32x784x128', 'seed_dW_784x32x128', 'seed_dX_32x128x784', 'seed_dW_pre_784x32x128', 'seed_dX_pre_32x128x784'];
  for (const key of Object.keys(results.gemm || {})) {
    const r = results.gemm[key];
    const worst = gemmShapes
      .map((sh) => [sh, ratio(median((r.kiln || []).map((o) => o[sh])), median((r.numpy || []).map((o) => o[sh])))])
      .filter(([, v]) => Number.isFinite(v))
      .sort((a, b) => a[1] - b[1])[0];
    add(`GEMM f32 ≥ 0.95× OpenBLAS at n = 256–1024 and the seed shapes, ${key}`, worst ? `worst ${fmt(worst[1], 2)}× (${worst[0]})` : 'n/a', worst ? worst[1] >= 0.95 : undefined);
  }
  if (!results.gemm) add('GEMM f32 ≥ 0.95× OpenBLAS at n = 256–1024 and the seed shapes, one and two threads', 'n/a', undefined);
  const mem = results.memory?.kiln?.kiln || [];
  const mg = (f) => median(mem.map(f));
  const peak = mg((o) => o.peak_rss_mb);
  add('Peak RSS of the 5-epoch seed-MLP fit ≤ 350 MB', Number.isFinite(peak) ? `${fmt(peak, 0)} MB` : 'n/a', Number.isFinite(peak) ? peak <= 350 : undefined);
  const growth = mg((o) => o.rss_growth_mb);
  add(
    `No RSS growth from epoch 2 to ${CFG.growthEpochs} (at most 5 MB, the noise of RSS sampling)`,
    Number.isFinite(growth) ? `${fmt(growth, 1)} MB` : 'n/a',
    Number.isFinite(growth) ? growth <= 5 : undefined,
  );
  const loop = mg((o) => o.event_loop_delay_p99_ms);
  add('Event loop p99 delay during `fit` < 5 ms', Number.isFinite(loop) ? `${fmt(loop, 2)} ms` : 'n/a', Number.isFinite(loop) ? loop < 5 : undefined);
  const met = rows.filter((x) => x[2] === '**met**').length;
  sections.unshift({
    title: `Targets of issue 15 (${met} of ${rows.length} met)`,
    note:
      'Each target against the fastest peer of its line (or the peer it names), from the medians in the sections below. ' +
      'A missed target is explained by the profiles (`node benches/profile.mjs`, section "Profiles") where they were run, read in the hand-written last section, "Where the missed targets stand".',
    t: table(['target', 'measured', 'verdict'], rows),
  });
}
targetsSection();

const cpu = cpuInfo();
const vers = versions();
const memGiB = (os.totalmem() / 2 ** 30).toFixed(0);
const header = [
  '# kiln-nn benchmark results',
  '',
  `Written by \`node benches/run.mjs\` on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} (total ${fmt(totalS / 60, 1)} min).`,
  '',
  `- Machine: ${cpu.model}, ${NCPU} cores available (${os.cpus().length} logical CPUs), ${memGiB} GiB RAM, ${os.platform()} ${os.release()}; SIMD: ${cpu.simd.join(', ') || 'unknown'}; no GPU.`,
  `- Versions: ${Object.entries(vers)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}.`,
  `- Config: ${CFG.reps} repetitions of the MLP runs, ${CFG.gemmReps} of the GEMM runs, ${CFG.memoryReps} of the memory run, ${CFG.inferReps} of the seed-MLP inference runs, ${CFG.appsReps} of the ResNet50/MobileNetV2 runs ` +
    '(kiln and its peers alternate, the order flipped every repetition); ' +
    `MLP epochs ${CFG.mlpEpochs} (kiln, Keras), tfjs-wasm ${CFG.tfjsEpochs}; batches ${CFG.mlpBatches.join(', ')}; ` +
    `CNN ${CFG.cnnReps} repetitions, batch ${CFG.cnnBatch}, ${CFG.cnnWarmupSteps} warm-up steps then ${CFG.cnnEpochs} epochs of ${CFG.cnnSteps > 0 ? CFG.cnnSteps : 'all'} steps; ` +
    `RNN ${CFG.rnnReps} repetitions, batch ${CFG.rnnBatch}, ${CFG.rnnEpochs} epochs (tfjs-wasm ${CFG.tfjsRnnEpochs}) of ${CFG.rnnSamples} samples; ` +
    `GEMM ${CFG.gemmTrials} trials x ${CFG.gemmMinTime} s.` +
    (kilnAvailable ? '' : ` kiln-nn not run: ${kilnSkipReason}.`),
  "- Peers: numpy (OpenBLAS), PyTorch (CPU, PyPI's wheel), Keras 3 on JAX and on TensorFlow, TensorFlow.js (wasm, cpu), onnxruntime-node (on kiln's ONNX exports). " +
    'Not included: `@tensorflow/tfjs-node` cannot install here (its install script downloads libtensorflow from outside the package registries), ' +
    'so TensorFlow.js runs on its wasm backend (single-threaded in Node) and pure-JS cpu backend.',
  '- The machines are shared and noisy: read the ratios, not the absolute numbers. ' +
    `Load average before the run: ${loadStart.toFixed(2)}; waited ${fmt(waitedS, 0)} s in all for the CPU to be idle; other processes kept ${fmt(foreignAll, 2)} cores busy on average during it` +
    (foreign.some(([, c]) => c > 0.25)
      ? ` (above 0.25 cores during: ${foreign
          .filter(([, c]) => c > 0.25)
          .map(([l, c]) => `${l} ${c.toFixed(2)}`)
          .join(', ')}).`
      : '.'),
  ...(rebuilt ? ['- **Warning: kiln-nn was rebuilt while this ran; its numbers mix two builds. Run again.**'] : []),
];
let md = header.join('\n') + '\n';
let txt = '';
for (const s of sections) {
  md += `\n## ${s.title}\n\n${s.note}\n\n${s.t.md}\n`;
  txt += `\n${s.title}\n${s.t.txt}\n`;
}
if (errors.length) {
  md += `\n## Failures\n\n${errors.map((e) => `- ${e.replace(/\|/g, '/')}`).join('\n')}\n`;
  txt += `\nFailures:\n${errors.map((e) => `  ${e}`).join('\n')}\n`;
}
// The serving and profile sections are written by benches/serve.mjs and benches/profile.mjs, the
// analysis by hand after a run; keep them.
const previous = existsSync(CFG.resultsPath) ? readFileSync(CFG.resultsPath, 'utf8') : '';
for (const kept of [/<!-- serving benchmark:[\s\S]*<!-- end of serving benchmark -->/, /<!-- profiles:[\s\S]*<!-- end of profiles -->/, /<!-- analysis:[\s\S]*<!-- end of analysis -->/]) {
  const found = kept.exec(previous)?.[0];
  if (found) md += `\n${found}\n`;
}
writeFileSync(CFG.resultsPath, md);
process.stdout.write(txt + `\nwrote ${relative(process.cwd(), CFG.resultsPath) || CFG.resultsPath} (${fmt(totalS, 0)} s)\n`);
