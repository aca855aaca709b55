#!/usr/bin/env node
// Profiles of kiln-nn (issue 15): where one training step of each seed model, and one ResNet50
// inference, spend their time. Each target (kiln/profile_target.mjs) runs in its own process;
// after its build and warm-up, `perf record --call-graph dwarf -p PID` samples its steady loop; `perf report`
// then gives the share of each shared object (the kiln .node, libc, node/V8, the kernel) and of
// the hottest symbols (Rust kernels by name; JavaScript frames are named through
// node --perf-basic-prof). Prints the summaries and writes them into their own section of
// benches/RESULTS.md (run.mjs keeps that section when it rewrites the file).
//
//   node benches/profile.mjs        (needs perf: apt-get install linux-perf; runs as root here)
//
// Configuration (environment):
//   BENCH_PROFILE_TARGETS=mlp,cnn,rnn,resnet50
//   BENCH_PROFILE_SECONDS=10   seconds recorded per target
//   BENCH_PROFILE_FREQ=499     samples per second (DWARF call graphs: 16 KiB of stack each)
//   BENCH_PROFILE_TOP=15       hottest symbols listed per target
//   BENCH_PROFILE_SIZE=224     ResNet50's input size
//   BENCH_RESULTS=path         the report to update (default benches/RESULTS.md)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const CFG = {
  targets: (env.BENCH_PROFILE_TARGETS || 'mlp,cnn,rnn,resnet50').split(',').filter(Boolean),
  seconds: Number(env.BENCH_PROFILE_SECONDS || 10),
  freq: Number(env.BENCH_PROFILE_FREQ || 499),
  top: Number(env.BENCH_PROFILE_TOP || 15),
  size: Number(env.BENCH_PROFILE_SIZE || 224),
  resultsPath: env.BENCH_RESULTS || join(BENCH, 'RESULTS.md'),
};
export const SECTION_BEGIN = '<!-- profiles: written by benches/profile.mjs -->';
export const SECTION_END = '<!-- end of profiles -->';
const log = (s) => process.stderr.write(s + '\n');

if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) {
  throw new Error('perf is not installed: apt-get install linux-perf (the profiles need it)');
}
const directory = mkdtempSync(join(os.tmpdir(), 'kiln-profile-'));

/** Runs one target; records its steady loop with perf; resolves with the target's JSON and the data file. */
function record(target) {
  const data = join(directory, `${target}.data`);
  const child = spawn(
    process.execPath,
    ['--perf-basic-prof', join(BENCH, 'kiln/profile_target.mjs'), '--target', target, '--seconds', CFG.seconds, '--size', CFG.size],
    // cwd: the temporary directory, where --perf-basic-prof's V8 log (isolate-*.log) goes.
    { cwd: directory, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let perf;
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (!perf && /READY \d+/.test(out)) {
        // DWARF call graphs: the release build has no frame pointers, and the per-kernel
        // (inclusive) table needs the callers of GEMM and of the kernels' closures.
        perf = spawn('perf', ['record', '-F', String(CFG.freq), '--call-graph', 'dwarf,16384', '-p', String(child.pid), '-o', data], { stdio: ['ignore', 'ignore', 'pipe'] });
        perf.stderr.on('data', () => {});
      }
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`profile target ${target} exited with ${code}`));
      const result = JSON.parse(out.trim().split('\n').pop());
      if (!perf) return reject(new Error(`profile target ${target} never became ready`));
      const finish = () => resolve({ result, data, pid: child.pid });
      if (perf.exitCode !== null) finish();
      else perf.once('exit', finish);
    });
  });
}

/** `perf report` lines "  12.34%  name" sorted by --sort key, as [percent, name] (self time). */
function report(data, sort) {
  const r = spawnSync('perf', ['report', '-i', data, '--stdio', '--no-children', '--sort', sort, '-g', 'none', '--percent-limit', '0.5'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`perf report failed: ${r.stderr.slice(-500)}`);
  return r.stdout
    .split('\n')
    .map((l) => /^\s+([\d.]+)%\s+(.*\S)\s*$/.exec(l))
    .filter(Boolean)
    .map((m) => [Number(m[1]), m[2].replace(/^\[[.k]\]\s+/, '')]);
}

/**
 * Inclusive time (self + callees) of kiln-core's functions, closures folded into the function
 * that defines them: the per-op breakdown (conv forward / backward, GEMM, the optimizer, ...).
 */
function kernels(data) {
  const r = spawnSync('perf', ['report', '-i', data, '--stdio', '--children', '--sort', 'symbol', '-g', 'none', '--percent-limit', '1'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`perf report --children failed: ${r.stderr.slice(-500)}`);
  const best = new Map();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s+([\d.]+)%\s+[\d.]+%\s+\[[.k]\]\s+(.*)$/.exec(line);
    if (!m) continue;
    const name = m[2]
      .trim()
      .split(/\s{2,}/)[0]
      .replace(/(::\{\{closure\}\})+$/, '');
    if (!/kiln_core::/.test(name)) continue;
    best.set(name, Math.max(best.get(name) ?? 0, Number(m[1])));
  }
  return [...best.entries()].sort((a, b) => b[1] - a[1]).map(([n, p]) => [p, n]);
}

/** "dso   [.] symbol" (or a bare dso) as "dso: symbol", file paths and JIT maps named plainly. */
const shorten = (name) => {
  const [dso, symbol] = name.split(/\s+\[[.k]\]\s+/);
  const d = dso
    .trim()
    .replace(/^\/tmp\/perf-\d+\.map$|^\[JIT\] tid \d+$/, 'node (JIT: JavaScript)')
    .replace(/.*\//, '');
  const n = symbol ? `${d}: ${symbol.trim().split(/\s{2,}/)[0]}` : d; // perf pads the column and may add more
  return n.length > 140 ? `${n.slice(0, 137)}...` : n;
};

const parts = [];
for (const target of CFG.targets) {
  log(`profiling ${target} (${CFG.seconds} s)`);
  const { result, data, pid } = await record(target);
  const dsos = report(data, 'dso');
  const symbols = report(data, 'dso,symbol').slice(0, CFG.top);
  const ops = kernels(data).slice(0, CFG.top);
  rmSync(`/tmp/perf-${pid}.map`, { force: true }); // V8's symbol map for perf, no longer needed
  rmSync(data, { force: true });
  log(`  ${result.what}: ${result.ms_per_step} ms a step (${result.steps} steps)`);
  for (const [p, n] of symbols.slice(0, 5)) log(`    ${p.toFixed(1)}%  ${shorten(n)}`);
  const esc = (s) => s.replace(/\|/g, '\\|');
  parts.push(
    [
      `### ${result.what}: ${result.ms_per_step} ms a step`,
      '',
      `${result.steps} steps in ${result.seconds} s recorded at ${CFG.freq} Hz. Share of samples by shared object: ` +
        dsos
          .slice(0, 6)
          .map(([p, n]) => `${esc(shorten(n))} ${p.toFixed(1)}%`)
          .join(', ') +
        '.',
      '',
      'Per op: kiln-core functions with the time spent in them and in what they call (inclusive, so nested rows overlap):',
      '',
      '| % of samples (inclusive) | kiln-core function |',
      '|---|---|',
      ...ops.map(([p, n]) => `| ${p.toFixed(1)} | ${esc(n.length > 140 ? `${n.slice(0, 137)}...` : n)} |`),
      '',
      'Hottest symbols (self time):',
      '',
      '| % of samples | shared object, symbol |',
      '|---|---|',
      ...symbols.map(([p, n]) => `| ${p.toFixed(1)} | ${esc(shorten(n))} |`),
    ].join('\n'),
  );
}
rmSync(directory, { recursive: true, force: true });

const section = [
  SECTION_BEGIN,
  '## Profiles (where the time goes)',
  '',
  `Written by \`node benches/profile.mjs\` on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}; ${os.cpus()[0]?.model ?? 'CPU'}, ${os.availableParallelism()} cores. ` +
    "`perf record --call-graph dwarf` of the steady loop of each target (kiln/profile_target.mjs: after the build and warm-up steps); per op, the inclusive time of kiln-core's functions (`perf report --children`); then the self time per symbol (`perf report --no-children`). " +
    'Rust kernels appear by name in the kiln .node; `node (JIT: JavaScript)` is the JavaScript side (the Keras API, the trainer loop); the kernel ([kernel.kallsyms]) is mostly thread wake-ups and page faults.',
  '',
  parts.join('\n\n'),
  SECTION_END,
].join('\n');
process.stdout.write(`${section}\n`);
const previous = existsSync(CFG.resultsPath) ? readFileSync(CFG.resultsPath, 'utf8') : '';
const start = previous.indexOf(SECTION_BEGIN);
const end = previous.indexOf(SECTION_END);
writeFileSync(CFG.resultsPath, start >= 0 && end > start ? previous.slice(0, start) + section + previous.slice(end + SECTION_END.length) : `${previous.trimEnd()}\n\n${section}\n`);
log(`updated ${CFG.resultsPath}`);
