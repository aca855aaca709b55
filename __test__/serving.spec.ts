// kiln.serving and `kiln-nn serve`: TensorFlow Serving's REST API on loopback. Predictions in
// every request form equal model.predict's; limits and bad input get short 4xx answers that do
// not repeat the request; metrics count what happened; SIGTERM finishes what is in flight.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import * as kiln from 'kiln-nn';

const { kilnPredictor, startServer } = kiln.serving;
type Predictor = kiln.serving.Predictor;

function classifier(): kiln.Model {
  kiln.setSeed(21);
  return new kiln.Sequential([new kiln.layers.Flatten({ inputShape: [3, 4] }), new kiln.layers.Dense(8, { activation: 'relu' }), new kiln.layers.Dense(5, { activation: 'softmax' })]);
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
const b64 = (values: ArrayLike<number>) => ({ b64: Buffer.from(new Float32Array(values).buffer).toString('base64') });

async function call(url: string, init?: RequestInit): Promise<{ status: number; text: string; json: any }> {
  const response = await fetch(url, init).catch((error) => {
    throw new Error(`${url}: ${error.cause?.message ?? error.message}`);
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}
const postJson = (url: string, body: unknown) => call(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

test("TensorFlow Serving routes: instances, inputs, b64 and binary bodies give model.predict's numbers", async (t) => {
  const model = classifier();
  const { url, close } = await startServer(kilnPredictor(model), { port: 0, modelName: 'digits' });
  try {
    const x = kiln.random.normal([3, 3, 4]);
    const expected = (await model.predict(x)).dataSync();
    const predict = `${url}/v1/models/digits:predict`;

    const rows = await postJson(predict, { instances: x.toArray() });
    t.is(rows.status, 200);
    t.true(maxDifference(rows.json.predictions.flat(), expected) < 1e-6);

    const columns = await postJson(predict, { signature_name: 'serving_default', inputs: x.toArray() });
    t.deepEqual(Object.keys(columns.json), ['outputs']);
    t.true(maxDifference(columns.json.outputs.flat(), expected) < 1e-6);

    const flat = Array.from(x.dataSync());
    const columnB64 = await postJson(predict, { inputs: b64(flat) });
    t.true(maxDifference(columnB64.json.outputs.flat(), expected) < 1e-6);
    const rowB64 = await postJson(predict, { instances: [0, 1, 2].map((n) => b64(flat.slice(n * 12, (n + 1) * 12))) });
    t.true(maxDifference(rowB64.json.predictions.flat(), expected) < 1e-6);

    const binaryBody = Buffer.from(new Float32Array(flat).buffer);
    const binaryJson = await call(predict, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: binaryBody });
    t.true(maxDifference(binaryJson.json.outputs.flat(), expected) < 1e-6);
    const binaryOut = await fetch(predict, { method: 'POST', headers: { 'content-type': 'application/octet-stream', accept: 'application/octet-stream' }, body: binaryBody });
    t.is(binaryOut.headers.get('content-type'), 'application/octet-stream');
    t.is(binaryOut.headers.get('x-kiln-shape'), '[3,5]');
    t.true(maxDifference(new Float32Array(await binaryOut.arrayBuffer()), expected) === 0);

    const status = await call(`${url}/v1/models/digits`);
    t.deepEqual(status.json, { model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] });
    const metadata = await call(`${url}/v1/models/digits/metadata`);
    t.is(metadata.json.model_spec.name, 'digits');
    const signature = metadata.json.metadata.signature_def.signature_def.serving_default;
    const [input] = Object.values(signature.inputs) as any[];
    t.deepEqual(
      input.tensor_shape.dim.map((d: { size: string }) => d.size),
      ['-1', '3', '4'],
    );
    t.is(input.dtype, 'DT_FLOAT');
    t.is((await call(`${url}/v1/models/other:predict`, { method: 'POST', body: '{}' })).status, 404);
    t.is((await call(predict)).status, 405);
  } finally {
    await close();
  }
});

test('multi-input models: the columnar form takes an object per input, b64 or lists, and gives an object per output', async (t) => {
  kiln.setSeed(22);
  const a = kiln.Input({ shape: [2], name: 'left' });
  const b = kiln.Input({ shape: [3], name: 'right' });
  const joined = new kiln.layers.Concatenate().apply([a, b]);
  const total = new kiln.layers.Dense(1, { name: 'total' }).apply(joined);
  const probabilities = new kiln.layers.Dense(2, { activation: 'softmax', name: 'probabilities' }).apply(joined);
  const model = new kiln.Model({ inputs: [a, b], outputs: [total, probabilities] });
  const { url, close } = await startServer(kilnPredictor(model), { port: 0 });
  try {
    const left = [
      [1, 2],
      [-1, 0.5],
    ];
    const right = [
      [0, 1, 2],
      [3, -2, 1],
    ];
    const [sum, probs] = await model.predict<kiln.Tensor[]>([kiln.tensor(left), kiln.tensor(right)]);
    const reply = await postJson(`${url}/v1/models/default:predict`, { inputs: { left, right: b64(right.flat()) } });
    t.is(reply.status, 200);
    t.true(maxDifference(reply.json.outputs.total.flat(), sum.dataSync()) < 1e-6);
    t.true(maxDifference(reply.json.outputs.probabilities.flat(), probs.dataSync()) < 1e-6);
    const binary = await call(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(20) });
    t.is(binary.status, 400);
    t.regex(binary.json.error, /binary body serves one-input models; this model has 2 inputs/);
    const mismatch = await postJson(`${url}/predict`, { inputs: { left, right: [right[0]] } });
    t.regex(mismatch.json.error, /input "right": 1 samples, but the inputs before it have 2/);
  } finally {
    await close();
  }
});

/** Sends raw bytes with an explicit header set (fetch always declares Content-Length). */
function rawPost(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

test('bad requests: short 400/413 answers that never repeat the input; the server keeps serving', async (t) => {
  const model = classifier();
  const { url, close } = await startServer(kilnPredictor(model), { port: 0, maxBodyBytes: 8192, maxJsonDepth: 8 });
  const predict = `${url}/v1/models/default:predict`;
  const marker = 'Zq7-hostile-<script>';
  const cases: Array<[string, unknown, number, RegExp]> = [
    ['not JSON', `{"instances": [${marker}`, 400, /^the body is not valid JSON/],
    ['wrong shape', { instances: [[1, 2, 3]] }, 400, /instance 0, input "[^"]+": expected 4 entries on axis 1, got 1 \(shape \[3, 4\]\)/],
    ['wrong dtype', { instances: [new Array(12).fill(marker)] }, 400, /expected finite numbers, got a string/],
    ['booleans', { instances: [new Array(12).fill(true)] }, 400, /expected finite numbers, got true/],
    ['float32 overflow', `{"instances": [[${new Array(11).fill(0).join(',')},1e39]]}`, 400, /value 11 is outside float32's range/],
    ['JSON overflow', `{"inputs": [[${new Array(11).fill(0).join(',')},-1e400]]}`, 400, /value 11 is outside float32's range/],
    ['NaN in b64', { inputs: b64([...new Array(11).fill(0), Number.NaN]) }, 400, /input "[^"]+": value 11 is NaN or infinite/],
    ['bad b64', { inputs: { b64: `${marker}` } }, 400, /expected \{"b64": "<base64 of little-endian float32 values>"\}/],
    ['partial sample', { inputs: b64([1, 2, 3]) }, 400, /expected float32 bytes for whole samples of 12 values \(a multiple of 48 bytes\), got 12 bytes/],
    ['too deep', `{"instances": ${'['.repeat(9)}1${']'.repeat(9)}}`, 400, /nests deeper than 8 levels/],
    ['both forms', { instances: [], inputs: [] }, 400, /exactly one of "instances"/],
    ['unknown keys', { instances: [new Array(12).fill(0)], [marker]: 1 }, 400, /the body has 1 key other than/],
    ['no instances', { instances: [] }, 400, /at least one instance/],
    ['unknown signature', { signature_name: marker, instances: [new Array(12).fill(0)] }, 400, /the only signature is "serving_default"/],
    ['too large', { instances: new Array(300).fill(new Array(12).fill(0.5)) }, 413, /request body larger than 8192 bytes/],
  ];
  try {
    for (const [name, body, status, message] of cases) {
      const reply = await postJson(predict, body);
      t.is(reply.status, status, name);
      t.regex(reply.json?.error ?? '', message, name);
      t.false(reply.text.includes(marker), `${name}: the answer does not repeat the input`);
      t.true(reply.text.length < 300, `${name}: a short answer`);
    }
    // NaN and overflow in a raw float32 body.
    const nanBody = Buffer.from(new Float32Array([...new Array(11).fill(0), Number.POSITIVE_INFINITY]).buffer);
    const nan = await call(predict, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: nanBody });
    t.is(nan.status, 400);
    t.regex(nan.json.error, /the body: value 11 is NaN or infinite/);
    // Over the limit without a declared length (chunked): cut off while reading.
    const chunked = await rawPost(predict, Buffer.alloc(20000, 0x20), { 'transfer-encoding': 'chunked', 'content-type': 'application/json' });
    t.is(chunked.status, 413);
    const good = await postJson(predict, { instances: [new Array(12).fill(0.5)] });
    t.is(good.status, 200);
    t.is(good.json.predictions[0].length, 5);
  } finally {
    await close();
  }
  await t.throwsAsync(() => startServer(kilnPredictor(model), { port: 0, maxBatchSize: 3 } as never), { message: /unknown option 'maxBatchSize'/ });
  await t.throwsAsync(() => startServer(kilnPredictor(model), { port: 0, maxBatch: 0 }), { message: /maxBatch must be an integer >= 1, got 0/ });
});

/** Resolves once the server reports `samples` samples waiting for a batch (polls /metrics). */
async function queuedSamples(url: string, samples: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (new RegExp(`^kiln_serving_queued_samples\\{[^}]*\\} ${samples}$`, 'm').test(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the queue never held ${samples} samples`);
}

/** Resolves once `condition` holds (checked every 10 ms, for at most 5 s). */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A predictor whose predictions wait until released, counting the batches it is given. */
function heldPredictor(inner: Predictor) {
  const batches: number[] = [];
  let release: () => void = () => {};
  let held = new Promise<void>((resolve) => (release = resolve));
  const predictor: Predictor = {
    ...inner,
    async predict(inputs, count) {
      batches.push(count);
      await held;
      return inner.predict(inputs, count);
    },
  };
  return {
    predictor,
    batches,
    release: () => release(),
    hold: () => (held = new Promise<void>((resolve) => (release = resolve))),
  };
}

test('dynamic batching: batchTimeoutMs gathers requests up to maxBatch; maxQueue answers 503; metrics count it all', async (t) => {
  const model = classifier();
  const held = heldPredictor(kilnPredictor(model));
  held.release();
  // A timeout long enough for all eight requests to arrive on a loaded machine (at 300 ms a CI
  // dry run beside a native build saw batches of 5 and 3).
  const { url, close } = await startServer(held.predictor, { port: 0, maxBatch: 6, batchTimeoutMs: 1500, maxQueue: 8 });
  const predict = `${url}/v1/models/default:predict`;
  const one = { instances: [new Array(12).fill(0.25)] };
  try {
    // Eight one-sample requests at once: one full batch of 6, then the 2 left after the timeout.
    const replies = await Promise.all(Array.from({ length: 8 }, () => postJson(predict, one)));
    t.deepEqual(
      replies.map((r) => r.status),
      new Array(8).fill(200),
    );
    t.deepEqual(held.batches, [6, 2]);

    // While a batch is held, the queue fills to maxQueue samples and the next request gets 503.
    held.hold();
    const blocked = postJson(predict, { instances: new Array(6).fill(one.instances[0]) });
    await until(() => held.batches.length === 3);
    const queued = [postJson(predict, { instances: new Array(5).fill(one.instances[0]) }), postJson(predict, { instances: new Array(3).fill(one.instances[0]) })];
    await queuedSamples(url, 8);
    const refused = await postJson(predict, one);
    t.is(refused.status, 503);
    t.regex(refused.json.error, /the server is busy: 8 samples are waiting \(limit 8\)/);
    held.release();
    t.deepEqual(
      (await Promise.all([blocked, ...queued])).map((r) => r.status),
      [200, 200, 200],
    );

    const metrics = await fetch(`${url}/metrics`);
    t.regex(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    t.regex(text, /^kiln_serving_requests_total\{model="default",route="predict",code="200"\} 11$/m);
    t.regex(text, /^kiln_serving_requests_total\{model="default",route="predict",code="503"\} 1$/m);
    t.regex(text, /^kiln_serving_request_duration_seconds_count\{model="default"\} 12$/m);
    t.regex(text, /^kiln_serving_request_duration_seconds_bucket\{model="default",le="\+Inf"\} 12$/m);
    // Batches run: 6, 2, 6, then 5 (3 more would pass maxBatch), then 3.
    t.regex(text, /^kiln_serving_batch_size_bucket\{model="default",le="2"\} 1$/m);
    t.regex(text, /^kiln_serving_batch_size_bucket\{model="default",le="4"\} 2$/m);
    t.regex(text, /^kiln_serving_batch_size_bucket\{model="default",le="6"\} 5$/m);
    t.regex(text, /^kiln_serving_batch_size_sum\{model="default"\} 22$/m);
    t.regex(text, /^kiln_serving_queued_samples\{model="default"\} 0$/m);
    t.deepEqual((await call(`${url}/healthz`)).json, { status: 'alive' });
    t.deepEqual((await call(`${url}/readyz`)).json, { status: 'ready' });
  } finally {
    held.release();
    await close();
  }
});

test('shutdown: the request in flight finishes, new ones and readiness get 503, then the server closes', async (t) => {
  const held = heldPredictor(kilnPredictor(classifier()));
  const running = await startServer(held.predictor, { port: 0 });
  const predict = `${running.url}/v1/models/default:predict`;
  const inFlight = postJson(predict, { instances: [new Array(12).fill(0.5)] });
  await until(() => held.batches.length === 1);
  const stopped = running.shutdown();
  t.is((await postJson(predict, { instances: [new Array(12).fill(0.5)] })).status, 503);
  t.is((await call(`${running.url}/readyz`)).status, 503);
  t.is((await call(`${running.url}/v1/models/default`)).json.model_version_status[0].state, 'UNLOADING');
  held.release();
  const finished = await inFlight;
  t.is(finished.status, 200);
  t.is(finished.json.predictions[0].length, 5);
  await stopped;
  t.false(running.server.listening);
});

/** Starts `kiln-nn serve`; resolves with its predict URL once it prints it. */
function startCli(args: string[]): { child: ChildProcessWithoutNullStreams; url: Promise<string>; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [join('dist', 'cli.js'), 'serve', ...args]);
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const found = /at (http:\/\/\S+:predict)/.exec(output)?.[1];
      if (found) resolve(found);
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    void exit.then((code) => reject(new Error(`kiln-nn serve exited with ${code}: ${output}`)));
  });
  url.catch(() => {});
  return { child, url, output: () => output, exit };
}

test('kiln-nn serve: SIGTERM with a request in flight answers it, refuses the next with 503 and exits 0', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'kiln-serve-cli-'));
  try {
    const model = classifier();
    const path = join(directory, 'digits.keras');
    await model.save(path);
    // A 3 s batch timeout keeps the first request waiting in the batch queue: in flight.
    const server = startCli([path, '--port', '0', '--batch-timeout-ms', '3000', '--max-batch', '64']);
    const predict = await server.url;
    t.regex(predict, /^http:\/\/127\.0\.0\.1:\d+\/v1\/models\/digits:predict$/);
    const x = kiln.random.normal([2, 3, 4]);
    const inFlight = postJson(predict, { instances: x.toArray() });
    await queuedSamples(predict.replace(/\/v1\/.*/, ''), 2);
    server.child.kill('SIGTERM');
    await until(() => /shutting down/.test(server.output()));
    const late = await postJson(predict, { instances: x.toArray() });
    t.is(late.status, 503);
    const answered = await inFlight;
    t.is(answered.status, 200);
    t.true(maxDifference(answered.json.predictions.flat(), (await model.predict(x)).dataSync()) < 1e-6);
    t.is(await server.exit, 0);
    t.regex(server.output(), /Shut down/);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test("kiln-nn serve: a missing or hostile model file exits non-zero with the loader's error", async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'kiln-serve-bad-'));
  try {
    const missing = startCli([join(directory, 'absent.keras'), '--port', '0']);
    t.not(await missing.exit, 0);
    t.regex(missing.output(), /kiln-nn: FileFormatError: .*absent\.keras/);
    const hostile = join(directory, 'hostile.keras');
    writeFileSync(hostile, Buffer.from('PK\u0003\u0004 not really a zip archive'));
    const refused = startCli([hostile, '--port', '0']);
    t.not(await refused.exit, 0);
    t.regex(refused.output(), /kiln-nn: FileFormatError: /);
    const typo = startCli([hostile, '--epochs', '3']);
    t.not(await typo.exit, 0);
    t.regex(typo.output(), /serve does not take --epochs/);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
