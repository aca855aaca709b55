// kiln.distribution: data-parallel training over an MPI job. Two ranks with a per-rank batch of
// 32 must end exactly where one process with a batch of 64 ends (same order, dropout off), a
// rank that dies or throws must stop the other within seconds naming it, and ranks with
// different models are refused. Skips where mpirun (Open MPI) or Fashion-MNIST is absent. The
// MPI jobs run one at a time (serial tests): their time limits assume the machine is theirs.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as kiln from 'kiln-nn';
import { runChild } from './helpers/child_process.js';

const here = path.join(process.cwd(), '__test__', 'distribution');
const hasMpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
const hasData = existsSync('/usr/share/datasets/fashion-mnist');

function skipWithout(t: { log: (m: string) => void }): boolean {
  if (hasMpirun && (hasData || process.env.CI)) return false;
  t.log(!hasMpirun ? 'mpirun (Open MPI) is not installed (apt-get install openmpi-bin libopenmpi-dev): skipped' : 'Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): skipped');
  return true;
}

interface Run {
  code: number | null;
  output: string;
  /** When the process ended (ms since the epoch). */
  ended: number;
}

/** Runs `script` with `ranks` MPI ranks (0: a plain node process), with a time limit. */
function launch(script: string, config: object, ranks: number, timeoutMs = 120_000, whileRunning?: () => void): Promise<Run> {
  const args = [path.join(here, script), JSON.stringify(config)];
  const [command, argv] = ranks === 0 ? [process.execPath, args] : ['mpirun', ['--allow-run-as-root', '--oversubscribe', '-np', String(ranks), process.execPath, ...args]];
  // Containers often forbid the cross-process memory copy Open MPI's shared-memory transport tries first.
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMPI_MCA_btl_vader_single_copy_mechanism: 'none' } });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const poll = whileRunning && setInterval(whileRunning, 20);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ code, output, ended: Date.now() });
    });
  });
}

interface Result {
  size: number;
  weights: number[][];
  history: Record<string, number[]>;
  evaluation: Record<string, number>;
}

async function train(model: 'mlp' | 'cnn', samples: number, ranks: number, dir: string, dataset = false, optimizer = 'adam'): Promise<Result> {
  const out = path.join(dir, `${model}-${ranks}.json`);
  const run = await launch('fit_worker.mjs', { model, samples, batchSize: 64, epochs: 2, distributed: ranks > 0, out, dataset, optimizer }, ranks);
  if (run.code !== 0) throw new Error(`training with ${ranks} ranks failed (${run.code}):\n${run.output}`);
  return JSON.parse(readFileSync(out, 'utf8'));
}

const maxDifference = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

for (const [model, samples, dataset, optimizer] of [
  // 301 samples: the last global batch of 45 splits 23 + 22.
  ['mlp', 301, false, 'adam'],
  // SGD: Adam divides by sqrt(v) + 1e-7, so kernel taps whose gradient is float32 rounding noise
  // (about 1e-9: the CNN's second kernel) move by up to 1e-5 differently under any two summation
  // orders, one process or two (measured 1.9e-5 with Adam, 1.5e-8 with SGD).
  ['cnn', 256, false, 'sgd'],
  ['mlp', 200, true, 'adam'],
] as const) {
  test.serial(`two ranks with a per-rank batch of 32 end with one process's weights and History at batch 64 (seed ${model.toUpperCase()}${dataset ? ', from a kiln.data.Dataset' : ''})`, async (t) => {
    if (skipWithout(t)) return t.pass();
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-dp-'));
    try {
      const [single, parallel] = await Promise.all([train(model, samples, 0, dir, dataset, optimizer), train(model, samples, 2, dir, dataset, optimizer)]);
      t.is(single.size, 1);
      t.is(parallel.size, 2);
      t.is(parallel.weights.length, single.weights.length);
      const worst = Math.max(...single.weights.map((w, i) => maxDifference(w, parallel.weights[i])));
      t.log(`largest weight difference: ${worst.toExponential(2)}`);
      t.true(worst < 1e-5, `weights differ by ${worst}`);
      // Training moved the weights: the comparison is not between two untrained models.
      t.deepEqual(Object.keys(parallel.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
      for (const key of Object.keys(single.history)) {
        t.true(maxDifference(single.history[key], parallel.history[key]) < 1e-5, `${key}: ${single.history[key]} vs ${parallel.history[key]}`);
      }
      t.true(single.history.loss[1] < single.history.loss[0], 'the loss fell');
      for (const key of ['loss', 'accuracy']) t.true(Math.abs(single.evaluation[key] - parallel.evaluation[key]) < 1e-5, `evaluate ${key}`);
      if (!dataset) {
        // CSVLogger (appending) ran on the chief only: one header and one row per epoch, global values.
        const rows = readFileSync(path.join(dir, `${model}-2.json.csv`), 'utf8')
          .trim()
          .split('\n');
        t.is(rows.length, 3, rows.join('\n'));
        const lossColumn = rows[0].split(',').indexOf('loss');
        t.true(Math.abs(Number(rows[2].split(',')[lossColumn]) - parallel.history.loss[1]) < 1e-6);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const fault of ['kill', 'throw'] as const) {
  test.serial(
    `a rank that ${fault === 'kill' ? 'is killed' : 'throws'} mid-epoch stops the other within 10 s, naming it; the last checkpoint loads${fault === 'throw' ? '; BackupAndRestore resumes the fit' : ''}`,
    async (t) => {
      if (skipWithout(t)) return t.pass();
      const dir = mkdtempSync(path.join(tmpdir(), 'kiln-dp-fault-'));
      const pidFile = path.join(dir, 'rank1.pid');
      const checkpoint = path.join(dir, 'checkpoint.keras');
      const backupDir = fault === 'throw' ? path.join(dir, 'backup') : undefined;
      let killedAt = 0;
      try {
        const run = await launch('fault_worker.mjs', { pidFile, checkpoint, fault, backupDir }, 2, 60_000, () => {
          if (fault !== 'kill' || killedAt || !existsSync(pidFile)) return;
          const pid = Number(readFileSync(pidFile, 'utf8'));
          if (!pid) return;
          // Mid-epoch: a few slowed steps into the second epoch.
          killedAt = Date.now() + 300;
          setTimeout(() => process.kill(pid, 'SIGKILL'), 300);
        });
        t.log(
          run.output
            .split('\n')
            .filter((l) => l.trim())
            .slice(0, 12)
            .join('\n'),
        );
        const failed = /FIT FAILED on rank 0 at (\d+): (.*)/.exec(run.output);
        t.truthy(failed, 'rank 0 ended fit with an error');
        t.regex(failed![2], /rank 1 \(pid \d+ on [^)]+\)/, 'the error names rank 1');
        t.regex(failed![2], fault === 'kill' ? /ended without finishing/ : /failed: Error: boom in a callback/);
        t.notRegex(run.output, /FIT ENDED/);
        if (fault === 'kill') {
          t.true(killedAt > 0, 'rank 1 was killed');
          t.true(Number(failed![1]) - killedAt < 10_000, `rank 0 stopped ${Number(failed![1]) - killedAt} ms after the kill`);
          t.true(run.ended - killedAt < 10_000, `the job ended ${run.ended - killedAt} ms after the kill`);
        }
        // The chief's checkpoint of the first epoch is whole and loads.
        const loaded = await kiln.models.loadModel(checkpoint);
        const out = loaded.predictOnBatch(kiln.tensor(new Float32Array(2 * 28 * 28), [2, 28, 28])) as kiln.Tensor;
        t.deepEqual(out.shape, [2, 10]);
        t.true(Array.from(out.dataSync()).every(Number.isFinite));
        if (backupDir) {
          // Run again: the chief restores epoch 1's backup and every rank resumes at the second epoch.
          const again = await launch('fault_worker.mjs', { pidFile, checkpoint, fault: 'none', backupDir }, 2, 60_000);
          t.is(again.code, 0, again.output);
          t.regex(again.output, /FIT ENDED on rank 0 after epochs 1,2\n/);
          t.regex(again.output, /FIT ENDED on rank 1 after epochs 1,2\n/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}

test.serial('ranks whose models differ are refused at the first synchronisation, naming the difference; so are losses it cannot average exactly', async (t) => {
  if (skipWithout(t)) return t.pass();
  const dir = mkdtempSync(path.join(tmpdir(), 'kiln-dp-differ-'));
  try {
    const run = await launch('fit_worker.mjs', { model: 'mlp', samples: 128, batchSize: 64, epochs: 1, distributed: true, out: path.join(dir, 'never.json'), rank1Width: 64 }, 2, 60_000);
    t.not(run.code, 0);
    t.regex(
      run.output,
      /FIT FAILED on rank [01]: ValueError: kiln\.distribution: rank 1's model differs from rank 0's at weight '[^']*dense[^']*' shape: rank 0 has \[784,128\], rank 1 has \[784,64\]/,
    );
    t.false(existsSync(path.join(dir, 'never.json')));
    // A loss whose reduction the row-weighted average would not reproduce is refused, not trained differently.
    const summed = await launch('fit_worker.mjs', { model: 'mlp', samples: 128, batchSize: 64, epochs: 1, distributed: true, out: path.join(dir, 'never.json'), reduction: 'sum' }, 2, 60_000);
    t.regex(summed.output, /FIT FAILED on rank 0: ValueError: kiln\.distribution: DataParallel averages .* has reduction 'sum'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a distribution a script is one process, and asking for one without MPI says what to install', async (t) => {
  t.is(kiln.distribution.rank(), 0);
  t.is(kiln.distribution.size(), 1);
  t.true(kiln.distribution.isChief());
  t.is(kiln.distribution.distribution(), undefined);
  t.throws(() => new kiln.distribution.DataParallel({ devices: ['cpu:0'] } as never), { message: /choose them with mpirun/ });
  t.throws(() => new kiln.distribution.DataParallel({ timeout: -1 }), { message: /`timeout` must be a positive number of seconds, got -1/ });
  t.throws(() => new kiln.distribution.DataParallel({ batchSize: 3 } as never), { instanceOf: kiln.ValueError });
  const child = await runChild(
    `try { kiln.distribution.setDistribution(new kiln.distribution.DataParallel()); console.log('joined'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); }`,
    30_000,
    { KILN_MPI_LIBRARY: '/nonexistent/libmpi.so.40' },
  );
  t.regex(child.stdout, /RuntimeError: kiln\.distribution needs an MPI library and none was found .*apt-get install openmpi-bin libopenmpi-dev/);
});
