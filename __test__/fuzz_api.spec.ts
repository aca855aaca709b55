// Fuzzing the public API besides the loaders: kiln.tensor on arbitrary nested and typed
// arrays, kiln.ops ops with arbitrary shapes, axes and integers, kiln.random and kiln.utils,
// and every layer's constructor with arbitrary arguments (then built and called). Each call
// must work or throw a KilnError: never a raw TypeError or RangeError, never a crash. The
// cases run in child processes (__test__/helpers/api_fuzz_worker.mjs), so an abort or a
// V8 fatal error is caught and reported with the seed that caused it, and the run goes on
// from the next seed. The default run is short; KILN_FUZZ_SECONDS=600 runs for ten minutes,
// KILN_FUZZ_SEED picks the first seed, KILN_FUZZ_TARGET one kind of case (tensor, op, random,
// utils, layer). What it found is kept in fuzz_api_regressions.spec.ts.
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SECONDS = Number(process.env.KILN_FUZZ_SECONDS ?? 8);
const FIRST_SEED = Number(process.env.KILN_FUZZ_SEED ?? 1);
const KIND = process.env.KILN_FUZZ_TARGET ?? '';
/** A case with no answer after this long is a hang. */
const HANG_MS = 60_000;
const WORKER = fileURLToPath(new URL('./helpers/api_fuzz_worker.mjs', import.meta.url));

interface Run {
  /** The seed the worker was on when it stopped, when it did not finish. */
  died?: { seed: number; why: string };
  next: number;
  tried: number;
  worked: number;
  refused: number;
  bad: string[];
}

/** One worker from `first` until `deadline`; stops early when the worker dies or hangs. */
function runWorker(first: number, deadline: number): Promise<Run> {
  const child = spawn(process.execPath, [WORKER, String(first), String(deadline), KIND], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { next: first, tried: 0, worked: 0, refused: 0, bad: [] };
  let current = first - 1;
  let finished = false;
  let pending = '';
  let stderr = '';
  let timer: NodeJS.Timeout;
  const watchdog = () => {
    clearTimeout(timer);
    timer = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
  };
  watchdog();
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const [word, a, ...rest] = line.split(' ');
      if (word === 'try') {
        current = Number(a);
        run.tried++;
        watchdog();
      } else if (word === 'ok') run.worked++;
      else if (word === 'no') run.refused++;
      else if (word === 'bad') run.bad.push(`seed ${a}: ${rest.join(' ')}`);
      else if (word === 'done') {
        finished = true;
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!finished) {
        const why = signal === 'SIGKILL' ? `no answer after ${HANG_MS} ms (a hang)` : `the process died (exit code ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(-6).join(' | ')}`;
        run.died = { seed: current, why };
      }
      run.next = current + 1;
      resolve(run);
    });
  });
}

test.serial('fuzzing the public API: every call works or throws a KilnError, never a crash, a hang or a raw TypeError/RangeError', async (t) => {
  const deadline = Date.now() + SECONDS * 1000;
  const totals = { tried: 0, worked: 0, refused: 0 };
  const crashes: string[] = [];
  const bad: string[] = [];
  let seed = FIRST_SEED;
  while (Date.now() < deadline) {
    const run = await runWorker(seed, deadline);
    totals.tried += run.tried;
    totals.worked += run.worked;
    totals.refused += run.refused;
    bad.push(...run.bad);
    if (run.died) crashes.push(`seed ${run.died.seed}: ${run.died.why}`);
    seed = run.next;
  }
  t.log(
    `${totals.tried} inputs (seeds ${FIRST_SEED}..${seed - 1}${KIND ? `, ${KIND} only` : ''}): ${totals.worked} worked, ${totals.refused} refused with a KilnError, ${bad.length} other errors, ${crashes.length} crashes or hangs`,
  );
  t.deepEqual({ crashes, bad }, { crashes: [], bad: [] }, 'crashes and hangs; errors that are not KilnErrors');
  t.true(totals.tried > 0);
  // The cases reach past the first check: some calls work, some are refused.
  t.true(totals.worked > 0 && totals.refused > 0, JSON.stringify(totals));
});
