#!/usr/bin/env node
// kiln-nn benchmark runner: `npm run bench` (from the repo root) or `node benches/run.mjs`.
//
// Runs workloads 1 (GEMM f32), 2 (seed MLP), 3 (seed CNN), 4 (seed RNN) and 6 (memory) of
// /work/shared/BENCHMARKS.md.
// Every measurement is a fresh child process; kiln-nn and the peers alternate within each
// repetition (the order flips every repetition), and the report gives medians over repetitions
// and the ratio kiln/peer. Prints a table and writes benches/RESULTS.md.
//
// Configuration (environment):
//   BENCH_REPS=3               repetitions of the MLP measurements
//   BENCH_GEMM_REPS=5          repetitions of the GEMM measurements (cheap, and the noisiest)
//   BENCH_WORKLOADS=gemm,mlp,cnn,rnn,memory
//   BENCH_PEERS=numpy,keras-jax,keras-tensorflow,tfjs-wasm,tfjs-cpu
//   BENCH_GEMM_MIN_TIME=0.1    seconds per timing trial;  BENCH_GEMM_TRIALS=5
//   BENCH_MLP_BATCHES=32,128   BENCH_MLP_EPOCHS=5 (kiln and Keras; epoch 1 is warm-up)
//   BENCH_TFJS_EPOCHS=2        tfjs-wasm epochs (≈13 s each here; epoch 1 is warm-up)
//   BENCH_TFJS_CPU_SAMPLES=6400  BENCH_TFJS_CPU_MAX_SECONDS=30  BENCH_TFJS_CPU_REPS=1
//   BENCH_CNN_REPS=2           repetitions of the CNN runs (kiln, Keras JAX / TF; tfjs-wasm once)
//   BENCH_CNN_BATCH=64  BENCH_CNN_EPOCHS=2  BENCH_CNN_STEPS=160 (steps per epoch: the timed fit
//                              trains on the first STEPS x BATCH samples; 0 = all 60,000)
//   BENCH_CNN_WARMUP_STEPS=20  steps of the untimed warm-up fit before the timed one
//   BENCH_CNN_TFJS_CPU=0       1: also try the CNN on tfjs-cpu (35–45 s a batch-64 step here:
//                              1 warm-up + BENCH_CNN_TFJS_CPU_STEPS=2 timed steps, 256 test samples)
//   BENCH_RNN_REPS=3  BENCH_RNN_BATCH=32  BENCH_RNN_SAMPLES=10000
//   BENCH_RNN_EPOCHS=8 (kiln, Keras; epoch 1 is warm-up)  BENCH_TFJS_RNN_EPOCHS=3 (tfjs-wasm)
//   BENCH_MEMORY_REPS=1  BENCH_MEMORY_GROWTH_SAMPLES=10000  BENCH_MEMORY_GROWTH_EPOCHS=20
//   BENCH_KILN=0               skip kiln-nn (default: run it when dist/index.js exists)
//   BENCH_PYTHON=path          Python with the peers (default benches/.venv/bin/python)
//   BENCH_TIMEOUT_S=900        per child process
//   BENCH_WAIT_QUIET_S=60      before each measurement wait up to this long for other processes
//                              to leave the CPU idle (0: do not wait); busy runs are flagged anyway
//   BENCH_RESULTS=path         where to write the report (default benches/RESULTS.md)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round } from './lib/common.mjs';
import { KILN_DIST } from './lib/kiln.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const env = process.env;
const num = (k, d) => (env[k] !== undefined && env[k] !== '' ? Number(env[k]) : d);
const list = (k, d) => (env[k] || d).split(',').map((s) => s.trim()).filter(Boolean);

const CFG = {
  reps: num('BENCH_REPS', 3),
  gemmReps: num('BENCH_GEMM_REPS', 5),
  workloads: list('BENCH_WORKLOADS', 'gemm,mlp,cnn,rnn,memory'),
  peers: list('BENCH_PEERS', 'numpy,keras-jax,keras-tensorflow,tfjs-wasm,tfjs-cpu'),
  gemmMinTime: num('BENCH_GEMM_MIN_TIME', 0.1),
  gemmTrials: num('BENCH_GEMM_TRIALS', 5),
  mlpBatches: list('BENCH_MLP_BATCHES', '32,128').map(Number),
  mlpEpochs: num('BENCH_MLP_EPOCHS', 5),
  tfjsEpochs: num('BENCH_TFJS_EPOCHS', 2),
  tfjsCpuSamples: num('BENCH_TFJS_CPU_SAMPLES', 6400),
  tfjsCpuMaxSeconds: num('BENCH_TFJS_CPU_MAX_SECONDS', 30),
  tfjsCpuReps: num('BENCH_TFJS_CPU_REPS', 1),
  cnnReps: num('BENCH_CNN_REPS', 2),
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

// ---------------------------------------------------------------- machine load
// CPU time of the whole machine (/proc/stat) minus that of this runner and its waited-for
// children (/proc/self/stat utime+stime+cutime+cstime): how many cores other processes kept
// busy while we measured. Both count in USER_HZ ticks.
function cpuTicks() {
  try {
    const all = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = all.reduce((a, b) => a + b, 0) - all[3] - (all[4] || 0); // minus idle, iowait
    const self = readFileSync('/proc/self/stat', 'utf8');
    const f = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number); // f[0] is field 3 (state)
    const mine = f[11] + f[12] + f[13] + f[14]; // utime stime cutime cstime (fields 14-17)
    return { busy, mine, t: Date.now() };
  } catch { return null; }
}
function foreignCores(a, b) {
  if (!a || !b || b.t <= a.t) return NaN;
  return Math.max(0, (b.busy - a.busy) - (b.mine - a.mine)) / 100 / ((b.t - a.t) / 1000);
}
const kilnStamp = () => ['dist/index.js', 'kiln-nn.linux-x64-gnu.node'].map((f) => {
  try { return statSync(join(ROOT, f)).mtimeMs; } catch { return 0; }
}).join(',');
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
    if (!warned) { log(`  (other processes busy ${c.toFixed(2)} cores: waiting up to ${CFG.waitQuietS} s)`); warned = true; }
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
    if (l.startsWith('{')) { try { out = JSON.parse(l); break; } catch { /* not ours */ } }
  }
  if (r.status !== 0 || !out) {
    const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
    const tail = (r.stderr || '').trim().split('\n').filter((l) => !/^(I0000|WARNING: All log)/.test(l)).slice(-3).join(' | ');
    errors.push(`${job.label}: ${why}: ${tail.slice(0, 600)}`);
    log(`  ${job.label.padEnd(44)} FAILED (${why}) ${tail.slice(0, 300)}`);
    return null;
  }
  log(`  ${job.label.padEnd(44)} ${secs.toFixed(1)} s  ${job.brief ? job.brief(out) : ''}${busyNote}`);
  return out;
}

const node = (script, args = [], extraEnv = {}, nodeFlags = []) => ({
  cmd: process.execPath, args: [...nodeFlags, join(BENCH, script), ...args.map(String)], env: extraEnv,
});
const py = (script, args = [], extraEnv = {}) => ({
  cmd: CFG.python, args: [join(BENCH, script), ...args.map(String)], env: extraEnv,
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
    const brief = (o) => Object.entries(o.results[key] ?? o.results).map(([k, v]) => `${k.replace(/^seed_/, '')}=${v}`).join(' ');
    if (kilnAvailable) {
      const kEnv = threads === '1' ? { KILN_NUM_THREADS: '1' } : { KILN_NUM_THREADS: '' };
      jobs.push({ sys: 'kiln', label: `gemm kiln ${key}`, ...node('kiln/gemm.mjs', gArgs, kEnv),
        brief, save: (o) => record('gemm', key, 'kiln', o.results) });
    }
    if (hasPeer('numpy') && pythonOk) {
      jobs.push({ sys: 'numpy', label: `gemm numpy ${key}`, ...py('peers/gemm_numpy.py', ['--threads', threads === '1' ? 1 : NCPU, ...gArgs]),
        brief, save: (o) => record('gemm', key, 'numpy', o.results[key]) });
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
      jobs.push({ sys: 'kiln', label: `mlp kiln b${batch}`, brief, save: save('kiln'),
        ...node('kiln/mlp.mjs', ['--batch', batch, '--epochs', CFG.mlpEpochs]) });
    }
    for (const backend of ['jax', 'tensorflow']) {
      if (!hasPeer(`keras-${backend}`) || !pythonOk) continue;
      jobs.push({ sys: `keras-${backend}`, label: `mlp keras-${backend} b${batch}`, brief, save: save(`keras-${backend}`),
        ...py('peers/mlp_keras.py', ['--backend', backend, '--batch', batch, '--epochs', CFG.mlpEpochs], { KERAS_BACKEND: backend }) });
    }
    if (hasPeer('tfjs-wasm') && tfjsOk) {
      jobs.push({ sys: 'tfjs-wasm', label: `mlp tfjs-wasm b${batch}`, brief, save: save('tfjs-wasm'),
        ...node('peers/mlp_tfjs.mjs', ['--backend', 'wasm', '--batch', batch, '--epochs', CFG.tfjsEpochs]) });
    }
    if (hasPeer('tfjs-cpu') && tfjsOk && batch === 32 && rep < CFG.tfjsCpuReps) {
      jobs.push({ sys: 'tfjs-cpu', label: `mlp tfjs-cpu b${batch}`, brief, save: save('tfjs-cpu'),
        ...node('peers/mlp_tfjs.mjs', ['--backend', 'cpu', '--batch', batch, '--epochs', 1,
          '--train-samples', CFG.tfjsCpuSamples, '--max-seconds', CFG.tfjsCpuMaxSeconds]) });
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
    jobs.push({ sys: `keras-${backend}`, label: `cnn keras-${backend} b${CFG.cnnBatch}`, brief, save: save(`keras-${backend}`),
      ...py('peers/cnn_keras.py', ['--backend', backend, ...cArgs], { KERAS_BACKEND: backend }) });
  }
  // tfjs-wasm cannot train it (no Conv2DBackpropFilter kernel): one run records the error text
  if (hasPeer('tfjs-wasm') && tfjsOk && rep === 0) {
    jobs.push({ sys: 'tfjs-wasm', label: `cnn tfjs-wasm b${CFG.cnnBatch}`, brief, save: save('tfjs-wasm'),
      ...node('peers/cnn_tfjs.mjs', ['--backend', 'wasm', ...cArgs]) });
  }
  if (hasPeer('tfjs-cpu') && tfjsOk && CFG.cnnTfjsCpu && rep === 0) {
    jobs.push({ sys: 'tfjs-cpu', label: `cnn tfjs-cpu b${CFG.cnnBatch}`, brief, save: save('tfjs-cpu'),
      ...node('peers/cnn_tfjs.mjs', ['--backend', 'cpu', '--batch', CFG.cnnBatch, '--epochs', 1,
        '--steps', CFG.cnnTfjsCpuSteps, '--warmup-steps', 1, '--test-samples', 256]) });
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
    jobs.push({ sys: 'kiln', label: `rnn kiln b${CFG.rnnBatch}`, brief, save: save('kiln'),
      ...node('kiln/rnn.mjs', [...rArgs, '--epochs', CFG.rnnEpochs]) });
  }
  for (const backend of ['jax', 'tensorflow']) {
    if (!hasPeer(`keras-${backend}`) || !pythonOk) continue;
    jobs.push({ sys: `keras-${backend}`, label: `rnn keras-${backend} b${CFG.rnnBatch}`, brief, save: save(`keras-${backend}`),
      ...py('peers/rnn_keras.py', ['--backend', backend, ...rArgs, '--epochs', CFG.rnnEpochs], { KERAS_BACKEND: backend }) });
  }
  if (hasPeer('tfjs-wasm') && tfjsOk) {
    jobs.push({ sys: 'tfjs-wasm', label: `rnn tfjs-wasm b${CFG.rnnBatch}`, brief, save: save('tfjs-wasm'),
      ...node('peers/rnn_tfjs.mjs', ['--backend', 'wasm', ...rArgs, '--epochs', CFG.tfjsRnnEpochs]) });
  }
  return jobs;
}

function memoryJobs(rep) {
  if (!kilnAvailable || rep >= CFG.memoryReps) return [];
  return [{ sys: 'kiln', label: 'memory kiln', save: (o) => record('memory', 'kiln', 'kiln', o),
    brief: (o) => `peak ${o.peak_rss_mb} MB, epoch2 ${o.rss_epoch2_mb} MB, epoch${o.growth_epochs} ${o.rss_epoch20_mb} MB`,
    ...node('kiln/memory.mjs', ['--mode', 'both', '--peak-epochs', 5, '--growth-epochs', CFG.growthEpochs,
      '--growth-samples', CFG.growthSamples], {}, ['--expose-gc']) }];
}

// ---------------------------------------------------------------- run
const t0 = Date.now();
const stampStart = kilnAvailable ? kilnStamp() : '';
const cpuStart = cpuTicks();
const loadStart = os.loadavg()[0];
if (loadStart > 0.5) log(`warning: load average ${loadStart.toFixed(2)} before the run; the numbers will be noisy`);
const totalReps = Math.max(...[
  ['gemm', CFG.gemmReps], ['mlp', CFG.reps], ['cnn', CFG.cnnReps], ['rnn', CFG.rnnReps], ['memory', CFG.memoryReps],
].filter(([w]) => CFG.workloads.includes(w)).map(([, r]) => r), 0);
log(`kiln-nn benchmarks: ${CFG.reps} reps (GEMM ${CFG.gemmReps}), workloads ${CFG.workloads.join(',')}, kiln ${kilnAvailable ? 'on' : `off (${kilnSkipReason})`}`);
if (!pythonOk) log(`  python peers skipped: ${CFG.python} missing (run benches/setup.sh)`);
if (!tfjsOk) log('  tfjs peers skipped: benches/node_modules missing (run benches/setup.sh)');
for (let rep = 0; rep < totalReps; rep++) {
  log(`rep ${rep + 1}/${totalReps}`);
  const groups = [];
  if (CFG.workloads.includes('gemm')) groups.push(gemmJobs(rep));
  if (CFG.workloads.includes('mlp')) groups.push(mlpJobs(rep));
  if (CFG.workloads.includes('cnn')) groups.push(cnnJobs(rep));
  if (CFG.workloads.includes('rnn')) groups.push(rnnJobs(rep));
  if (CFG.workloads.includes('memory')) groups.push(memoryJobs(rep));
  for (const jobs of groups) {
    // alternate: kiln first on even reps, peers first on odd reps (within each shape/batch pair)
    const ordered = rep % 2 === 0 ? jobs : interleaveReversed(jobs);
    for (const job of ordered) {
      const out = runJob(job);
      if (out) job.save(out);
    }
  }
}
const totalS = (Date.now() - t0) / 1000;
const foreignAll = foreignCores(cpuStart, cpuTicks());
const rebuilt = kilnAvailable && kilnStamp() !== stampStart;
if (rebuilt) log('warning: kiln-nn was rebuilt during the run (dist/index.js or the .node changed): the kiln numbers mix builds');

function interleaveReversed(jobs) {
  // reverse the order inside each run of jobs sharing a label prefix (same workload + config)
  const groups = [];
  for (const j of jobs) {
    const k = j.label.split(' ').filter((_, i) => i !== 1).join(' ');
    const g = groups.find((x) => x.k === k);
    if (g) g.jobs.push(j); else groups.push({ k, jobs: [j] });
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
  } catch { return { model: os.cpus()[0]?.model, simd: [] }; }
}

function versions() {
  const v = { node: process.versions.node };
  try {
    v.tfjs = JSON.parse(readFileSync(join(BENCH, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8')).version;
    v['tfjs-backend-wasm'] = JSON.parse(readFileSync(join(BENCH, 'node_modules/@tensorflow/tfjs-backend-wasm/package.json'), 'utf8')).version;
  } catch { /* not installed */ }
  if (pythonOk) {
    const code = 'import importlib.metadata as m, json, sys\n' +
      'out = {"python": sys.version.split()[0]}\n' +
      'for d in ["numpy", "keras", "jax", "jaxlib", "tensorflow-cpu", "tensorflow", "scipy-openblas32", "scipy-openblas64"]:\n' +
      '    try: out[d] = m.version(d)\n    except Exception: pass\n' +
      'print(json.dumps(out))';
    const r = spawnSync(CFG.python, ['-c', code], { encoding: 'utf8' });
    try { Object.assign(v, JSON.parse(r.stdout)); } catch { /* ignore */ }
  }
  try {
    v['kiln-nn'] = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    const g = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
    v['kiln-nn'] += g.status === 0 ? ` (git ${g.stdout.trim()}${gitDirty() ? ', dirty tree' : ''})` : ' (no commit yet)';
  } catch { /* ignore */ }
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
  const shapes = ['n128', 'n256', 'n512', 'n1024', 'seed_fwd_32x784x128', 'seed_dW_784x32x128', 'seed_dX_32x128x784',
    'seed_dW_pre_784x32x128', 'seed_dX_pre_32x128x784'];
  const rows = [];
  for (const key of Object.keys(results.gemm)) {
    const r = results.gemm[key];
    for (const s of shapes) {
      const k = (r.kiln || []).map((o) => o[s]);
      const n = (r.numpy || []).map((o) => o[s]);
      rows.push([key, s, fmt(median(k)) + spread(k), fmt(median(n)) + spread(n), fmt(ratio(median(k), median(n)), 2)]);
    }
  }
  section('1. GEMM f32 (GFLOP/s, higher is better)',
    'Median over repetitions of the median of trials. Ratio = kiln / numpy: above 1 means kiln is faster. ' +
    'seed_dW is x^T·dY with x stored [32,784] (kiln: `a.transpose()` then `matmul`, the transpose included); ' +
    'seed_dX is dY·W^T with W stored [784,128]; the _pre rows are the same products with the transposed operand already stored contiguous (no transpose timed). numpy: OpenBLAS with OPENBLAS_NUM_THREADS/OMP_NUM_THREADS set; ' +
    'kiln: KILN_NUM_THREADS=1, or unset for all cores.',
    table(['threads', 'shape (m x k x n)', 'kiln', 'numpy (OpenBLAS)', 'kiln/numpy'], rows));
}

// MLP
const mlpSystems = ['kiln', 'keras-jax', 'keras-tensorflow', 'tfjs-wasm', 'tfjs-cpu'];
if (results.mlp) {
  for (const key of Object.keys(results.mlp)) {
    const r = results.mlp[key];
    const med = (sys) => median((r[sys] || []).map((o) => o.samples_per_s));
    const peers = mlpSystems.filter((s) => s !== 'kiln' && r[s]?.length);
    const best = peers.reduce((b, s) => (!b || med(s) > med(b) ? s : b), null);
    const kMed = med('kiln');
    const rows = mlpSystems.filter((s) => r[s]?.length).map((s) => {
      const xs = r[s].map((o) => o.samples_per_s);
      const o0 = r[s][0];
      const epochs = s.startsWith('tfjs') ? `${o0.epochs}${o0.partial_training ? `, ${o0.train_samples}-sample subset` : ''}` : String(o0.epochs);
      return [s + (s === best ? ' (fastest peer)' : ''), fmt(median(xs), 0) + spread(xs, 0),
        String(xs.length), fmt(median(r[s].map((o) => o.test_accuracy)), 4), epochs,
        fmt(median(r[s].map((o) => o.peak_rss_mb)), 0),
        s === 'kiln' ? '—' : fmt(ratio(kMed, med(s)), 2)];
    });
    section(`2. Seed MLP, ${key} (training samples/s, higher is better)`,
      'Steady state: epoch 1 excluded (Keras, kiln and tfjs-wasm time epochs 2..N with an epoch callback); ' +
      `tfjs-cpu trains 1 epoch on a ${CFG.tfjsCpuSamples}-sample subset (stopped after ${CFG.tfjsCpuMaxSeconds} s) and is timed over its steps after the first 20. ` +
      'Ratio = kiln samples/s / peer samples/s: above 1 means kiln is faster; the bar is the fastest peer. ' +
      'Test accuracy is after the listed number of epochs. Peak RSS is of the whole process (Python processes include the framework).',
      table(['system', 'samples/s median (min–max)', 'reps', 'test acc', 'epochs', 'peak RSS MB', 'kiln/peer'], rows));
  }
}

// CNN and RNN
const seqSystems = ['kiln', 'keras-jax', 'keras-tensorflow', 'tfjs-wasm', 'tfjs-cpu'];
function speedTable(r, { acc }) {
  const ok = (s) => (r[s] || []).filter((o) => Number.isFinite(o.samples_per_s));
  const med = (s) => median(ok(s).map((o) => o.samples_per_s));
  const peers = seqSystems.filter((s) => s !== 'kiln' && ok(s).length);
  const best = peers.reduce((b, s) => (!b || med(s) > med(b) ? s : b), null);
  const kMed = med('kiln');
  const rows = seqSystems.filter((s) => r[s]?.length).map((s) => {
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
    section(`3. Seed CNN, ${key} (training samples/s, higher is better)`,
      `Conv2D 32 3x3 relu → MaxPooling2D 2 → Conv2D 64 3x3 relu → MaxPooling2D 2 → Flatten → Dense 128 relu → Dense 10 softmax, ` +
      'Adam, sparse categorical cross-entropy, x/255 [N,28,28,1]. Every system runs the same protocol: an untimed warm-up fit of one epoch ' +
      `on ${CFG.cnnWarmupSteps} batches (compilation, tracing), then a fit of ${CFG.cnnEpochs} epochs on the first ${steps} training samples ` +
      `(${Math.ceil(steps / CFG.cnnBatch)} steps an epoch, shuffled), each epoch timed by an epoch callback: samples/s = samples of the timed fit / its time. ` +
      `Test accuracy is on the full 10,000-sample test set after that training (so after ${CFG.cnnEpochs} epochs of a ${steps}-sample subset, not of the full set). ` +
      'Ratio = kiln / peer: above 1 means kiln is faster; the bar is the fastest peer. ' +
      'TensorFlow.js on wasm has no Conv2DBackpropFilter kernel, so it cannot train this model (the error is its exception text).',
      table(['system', 'samples/s median (min–max)', 'reps', 'test acc', 'timed epochs x samples', 'peak RSS MB', 'kiln/peer'], rows));
  }
}
if (results.rnn) {
  for (const key of Object.keys(results.rnn)) {
    section(`4. Seed RNN, ${key} (training samples/s, higher is better)`,
      `SimpleRNN 64 relu over [10 steps, 20 features] → Dense 1 sigmoid, Adam, binary cross-entropy, on ${CFG.rnnSamples} generated samples ` +
      '(uniform x, random 0/1 labels: the same numbers in every system, from a counter-based hash of each element index, lib/common.mjs rnnData / peers/common.py rnn_data). ' +
      'Steady state: epoch 1 excluded, samples/s over the later epochs (epoch callback). The labels are random, so only the speed matters; ' +
      'the last epoch\'s training loss (≈0.69) is shown as a sanity check. Ratio = kiln / peer: above 1 means kiln is faster; the bar is the fastest peer.',
      table(['system', 'samples/s median (min–max)', 'reps', 'last train loss', 'epochs', 'peak RSS MB', 'kiln/peer'], speedTable(results.rnn[key], { acc: false })));
  }
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
  } else {
    rows.push(['kiln', `not measured (${kilnAvailable ? 'failed' : kilnSkipReason})`]);
  }
  const b32 = results.mlp?.['batch=32'];
  if (b32) {
    const kPeak = median((b32.kiln || []).map((o) => o.peak_rss_mb));
    for (const s of mlpSystems.filter((x) => x !== 'kiln' && b32[x]?.length)) {
      const p = median(b32[s].map((o) => o.peak_rss_mb));
      rows.push([`${s} peak RSS, MLP run batch 32 (${b32[s][0].epochs} epochs${b32[s][0].partial_training ? ', subset' : ''}) (MB); kiln/peer`,
        `${fmt(p)}; ${fmt(ratio(kPeak, p), 2)}`]);
    }
  }
  section('6. Memory (MB, lower is better)',
    'Peak RSS = process.resourceUsage().maxRSS (kiln, tfjs) or getrusage ru_maxrss (Python) of the whole process. ' +
    'Growth: RSS sampled after each epoch of one fit (after global.gc() with --expose-gc). ' +
    'kiln/peer ratios compare the peak RSS of the batch-32 MLP runs: below 1 means kiln uses less.',
    table(['measure', 'value'], rows));
}

const cpu = cpuInfo();
const vers = versions();
const memGiB = (os.totalmem() / 2 ** 30).toFixed(0);
const header = [
  '# kiln-nn benchmark results',
  '',
  `Written by \`node benches/run.mjs\` on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} (total ${fmt(totalS / 60, 1)} min).`,
  '',
  `- Machine: ${cpu.model}, ${NCPU} cores available (${os.cpus().length} logical CPUs), ${memGiB} GiB RAM, ${os.platform()} ${os.release()}; SIMD: ${cpu.simd.join(', ') || 'unknown'}; no GPU.`,
  `- Versions: ${Object.entries(vers).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
  `- Config: ${CFG.reps} repetitions of the MLP runs, ${CFG.gemmReps} of the GEMM runs, ${CFG.memoryReps} of the memory run ` +
    '(kiln and its peers alternate, the order flipped every repetition); ' +
    `MLP epochs ${CFG.mlpEpochs} (kiln, Keras), tfjs-wasm ${CFG.tfjsEpochs}; batches ${CFG.mlpBatches.join(', ')}; ` +
    `CNN ${CFG.cnnReps} repetitions, batch ${CFG.cnnBatch}, ${CFG.cnnWarmupSteps} warm-up steps then ${CFG.cnnEpochs} epochs of ${CFG.cnnSteps > 0 ? CFG.cnnSteps : 'all'} steps; ` +
    `RNN ${CFG.rnnReps} repetitions, batch ${CFG.rnnBatch}, ${CFG.rnnEpochs} epochs (tfjs-wasm ${CFG.tfjsRnnEpochs}) of ${CFG.rnnSamples} samples; ` +
    `GEMM ${CFG.gemmTrials} trials x ${CFG.gemmMinTime} s.` + (kilnAvailable ? '' : ` kiln-nn not run: ${kilnSkipReason}.`),
  '- Peers not included: `@tensorflow/tfjs-node` cannot install here (its install script downloads libtensorflow from outside the package registries), ' +
    'so TensorFlow.js runs on its wasm backend (single-threaded in Node) and pure-JS cpu backend; PyTorch is not included yet.',
  '- The machines are shared and noisy: read the ratios, not the absolute numbers. ' +
    `Load average before the run: ${loadStart.toFixed(2)}; waited ${fmt(waitedS, 0)} s in all for the CPU to be idle; other processes kept ${fmt(foreignAll, 2)} cores busy on average during it` +
    (foreign.some(([, c]) => c > 0.25)
      ? ` (above 0.25 cores during: ${foreign.filter(([, c]) => c > 0.25).map(([l, c]) => `${l} ${c.toFixed(2)}`).join(', ')}).`
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
// The serving section is written by benches/serve.mjs; keep it.
const servingSection = existsSync(CFG.resultsPath) ? /<!-- serving benchmark:[\s\S]*<!-- end of serving benchmark -->/.exec(readFileSync(CFG.resultsPath, 'utf8'))?.[0] : undefined;
if (servingSection) md += `\n${servingSection}\n`;
writeFileSync(CFG.resultsPath, md);
process.stdout.write(txt + `\nwrote ${relative(process.cwd(), CFG.resultsPath) || CFG.resultsPath} (${fmt(totalS, 0)} s)\n`);
