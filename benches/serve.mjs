#!/usr/bin/env node
// Serving benchmark (issue 17): `kiln-nn serve` (dist/cli.js, ts/serving) serving a saved kiln
// model against the same server code predicting with onnxruntime-node on the model's exported
// ONNX file (benches/serving/onnx_server.mjs), both driven on loopback by autocannon, with JSON
// and with raw application/octet-stream float32 bodies. Prints requests/s and latency
// percentiles and writes them into their own section of benches/RESULTS.md (run.mjs keeps that
// section when it rewrites the file; `BENCH_WORKLOADS=serving node benches/run.mjs` runs this).
//
//   node benches/serve.mjs                    (after npm run build and benches/setup.sh)
//
// Configuration (environment):
//   BENCH_SERVE_REPS=3            repetitions (kiln and onnxruntime alternate, the order flips)
//   BENCH_SERVE_DURATION=4        seconds of each measured autocannon run (after 2 s of warm-up)
//   BENCH_SERVE_CONNECTIONS=32    concurrent connections
//   BENCH_SERVE_SCENARIOS=1,32    samples per request
//   BENCH_SERVE_BODIES=json,binary request bodies: JSON {"instances": ...}, or the samples' raw
//                                 float32 bytes (application/octet-stream)
//   BENCH_SERVE_PEERS=onnxruntime,onnxruntime-1t
//   BENCH_RESULTS=path            the report to update (default benches/RESULTS.md)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median, round } from './lib/common.mjs';
import { buildModel, kiln } from './lib/kiln_mlp.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const num = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const CFG = {
  reps: num('BENCH_SERVE_REPS', 3),
  duration: num('BENCH_SERVE_DURATION', 4),
  warmup: 2,
  connections: num('BENCH_SERVE_CONNECTIONS', 32),
  scenarios: (process.env.BENCH_SERVE_SCENARIOS || '1,32').split(',').map(Number),
  bodies: (process.env.BENCH_SERVE_BODIES || 'json,binary').split(','),
  peers: (process.env.BENCH_SERVE_PEERS || 'onnxruntime,onnxruntime-1t').split(','),
  resultsPath: process.env.BENCH_RESULTS || join(BENCH, 'RESULTS.md'),
};
export const SECTION_BEGIN = '<!-- serving benchmark: written by benches/serve.mjs -->';
export const SECTION_END = '<!-- end of serving benchmark -->';
const log = (s) => process.stderr.write(s + '\n');
const loadBefore = os.loadavg()[0];

// The seed MLP (workload 2) with fixed random weights: only the speed matters here.
kiln.setSeed(1);
const model = buildModel();
const directory = mkdtempSync(join(os.tmpdir(), 'kiln-serve-bench-'));
const files = { kiln: join(directory, 'seed_mlp.keras'), onnx: join(directory, 'seed_mlp.onnx') };
await model.save(files.kiln);
await model.exportOnnx(files.onnx);

// onnxruntime runs twice: with its default thread pool (one spinning thread per core) and with
// one intra-op thread, which serves better when the HTTP work shares the cores.
const CLI = join(ROOT, 'dist/cli.js');
const SERVERS = {
  kiln: { args: [CLI, 'serve', files.kiln, '--port', '0', '--model-name', 'seed_mlp'] },
  onnxruntime: { args: [join(BENCH, 'serving/onnx_server.mjs'), files.onnx, '0'], env: { BENCH_MODEL_NAME: 'seed_mlp' } },
  'onnxruntime-1t': { args: [join(BENCH, 'serving/onnx_server.mjs'), files.onnx, '0'], env: { BENCH_MODEL_NAME: 'seed_mlp', BENCH_ORT_THREADS: '1' } },
};
const PEERS = CFG.peers.filter((p) => {
  if (!SERVERS[p] || p === 'kiln') throw new Error(`BENCH_SERVE_PEERS: unknown server '${p}' (onnxruntime, onnxruntime-1t)`);
  return true;
});

/** Starts a server as a child process on a free port; resolves with its URL once it listens. */
function startServer(name) {
  const { args, env = {} } = SERVERS[name];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = /at (http:\/\/\S+:predict)/.exec(out)?.[1];
      if (url)
        resolve({
          url,
          stop: () =>
            new Promise((done) => {
              child.once('exit', done);
              child.kill('SIGTERM');
            }),
        });
    });
    child.once('exit', (code) => reject(new Error(`${name} server exited with ${code} before listening: ${out}`)));
  });
}

// Fixed inputs in [0, 1) with three decimals, like scaled pixels in a JSON body.
const instances = (count) =>
  Array.from({ length: count }, (_, n) => Array.from({ length: 28 }, (_, i) => Array.from({ length: 28 }, (_, j) => round((((n * 784 + i * 28 + j) * 2654435761) % 1000) / 1000, 3))));

async function post(url, count) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: instances(count) }) });
  return (await response.json()).predictions;
}

/** The request body of `count` samples and its content type. */
function requestBody(kind, count) {
  if (kind === 'json') return { body: JSON.stringify({ instances: instances(count) }), headers: { 'content-type': 'application/json' } };
  if (kind === 'binary') return { body: Buffer.from(new Float32Array(instances(count).flat(2)).buffer), headers: { 'content-type': 'application/octet-stream' } };
  throw new Error(`BENCH_SERVE_BODIES: unknown body '${kind}' (json, binary)`);
}

const run = (url, { body, headers }, duration) => autocannon({ url, method: 'POST', body, headers, connections: CFG.connections, duration });

// Both servers must answer the same before their speed is compared.
{
  const [k, o] = [await startServer('kiln'), await startServer('onnxruntime')];
  const [a, b] = [await post(k.url, 4), await post(o.url, 4)];
  const difference = Math.max(...a.flat().map((v, i) => Math.abs(v - b.flat()[i])));
  await Promise.all([k.stop(), o.stop()]);
  if (!(difference < 1e-5)) throw new Error(`kiln and onnxruntime disagree by ${difference}`);
  log(`predictions agree (largest difference ${difference.toExponential(1)})`);
}

const SCENARIOS = CFG.bodies.flatMap((kind) => CFG.scenarios.map((count) => ({ kind, count, key: `${kind} ${count}` })));
const results = {}; // results[scenario key][server] = [{ rps, p50, p99 }]
for (let rep = 0; rep < CFG.reps; rep++) {
  const order = rep % 2 === 0 ? ['kiln', ...PEERS] : [...PEERS, 'kiln'];
  for (const { kind, count, key } of SCENARIOS) {
    const body = requestBody(kind, count);
    for (const name of order) {
      const server = await startServer(name);
      await run(server.url, body, CFG.warmup);
      const r = await run(server.url, body, CFG.duration);
      await server.stop();
      const bad = r.errors + r.timeouts + r.non2xx;
      const m = { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, samples: r.requests.average * count, bad };
      ((results[key] ??= {})[name] ??= []).push(m);
      log(
        `  rep ${rep + 1} ${kind.padEnd(6)} ${String(count).padStart(3)} samples/request ${name.padEnd(12)} ${round(m.rps, 0)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms${bad ? `  ${bad} failed` : ''}`,
      );
    }
  }
}
rmSync(directory, { recursive: true, force: true });

const rows = [];
for (const { kind, count, key: scenario } of SCENARIOS) {
  const med = (name, key) => median(results[scenario][name].map((m) => m[key]));
  const fastestPeer = Math.max(...PEERS.map((p) => med(p, 'rps')));
  for (const name of ['kiln', ...PEERS]) {
    const range = (key) => results[scenario][name].map((m) => m[key]);
    rows.push([
      kind,
      count,
      name,
      `${round(med(name, 'rps'), 0)} (${round(Math.min(...range('rps')), 0)}–${round(Math.max(...range('rps')), 0)})`,
      round(med(name, 'samples'), 0),
      med(name, 'p50'),
      med(name, 'p99'),
      name === 'kiln' ? (fastestPeer > 0 ? round(med('kiln', 'rps') / fastestPeer, 2) : 'n/a') : '',
      results[scenario][name].reduce((n, m) => n + m.bad, 0),
    ]);
  }
}
const header = ['body', 'samples/request', 'server', 'requests/s median (min–max)', 'samples/s', 'p50 ms', 'p99 ms', 'kiln / fastest onnxruntime (req/s)', 'failed'];
const table = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const versions = {
  node: process.versions.node,
  'onnxruntime-node': JSON.parse(readFileSync(join(BENCH, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version,
  autocannon: JSON.parse(readFileSync(join(BENCH, 'node_modules/autocannon/package.json'), 'utf8')).version,
};
const section = [
  SECTION_BEGIN,
  '## 7. Serving over HTTP (requests/s higher is better, latency lower is better)',
  '',
  `Written by \`node benches/serve.mjs\` on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}; ${os.cpus()[0]?.model ?? 'CPU'}, ${os.availableParallelism()} cores; ` +
    `${Object.entries(versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
  '',
  'The seed MLP (Flatten 784 → Dense 128 relu → Dropout → Dense 10 softmax) saved with `model.save` and served by `kiln-nn serve` ' +
    "(dist/cli.js: `kiln.serving.serve`, TensorFlow Serving's `/v1/models/NAME:predict`, `model.predict` on native threads), against the same server code (`kiln.serving.startServer`) predicting with onnxruntime-node on the " +
    '`model.exportOnnx` file of the same model (`benches/serving/onnx_server.mjs`; onnxruntime with its default thread pool, and ' +
    'onnxruntime-1t with `intraOpNumThreads: 1`). All merge the requests that arrive during a prediction ' +
    `into the next one (dynamic batching, at most 256 samples). autocannon on loopback in the driver process: ${CFG.connections} connections, ` +
    `${CFG.warmup} s warm-up then ${CFG.duration} s measured, a fresh server process per run, ${CFG.reps} repetitions alternating kiln and ` +
    'the onnxruntime servers; bodies of 28×28 pixel values as JSON `{"instances": ...}` or as raw float32 bytes (`application/octet-stream`). Client, servers and other work share the machine\'s cores: compare the ratio. ' +
    `Load average (1 min) before the run ${round(loadBefore, 1)}, after it ${round(os.loadavg()[0], 1)}.`,
  '',
  table,
  SECTION_END,
].join('\n');
process.stdout.write(`\n${table}\n`);

const previous = existsSync(CFG.resultsPath) ? readFileSync(CFG.resultsPath, 'utf8') : '';
const start = previous.indexOf(SECTION_BEGIN);
const end = previous.indexOf(SECTION_END);
const updated = start >= 0 && end > start ? previous.slice(0, start) + section + previous.slice(end + SECTION_END.length) : `${previous.trimEnd()}\n\n${section}\n`;
writeFileSync(CFG.resultsPath, updated);
log(`updated ${CFG.resultsPath}`);
