// examples/serve.ts: JSON predict requests over HTTP on loopback give the model's predictions,
// also when many arrive at once (they are batched into shared native calls).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import * as kiln from 'kiln-nn';
import { kilnPredictor, startServer } from '../examples/serve.js';

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}/predict`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

function classifier(): kiln.Model {
  kiln.setSeed(11);
  return new kiln.Sequential([new kiln.layers.Flatten({ inputShape: [3, 4] }), new kiln.layers.Dense(16, { activation: 'relu' }), new kiln.layers.Dense(5, { activation: 'softmax' })]);
}

const maxDifference = (a: number[], b: ArrayLike<number>) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

test("concurrent predict requests get the model's predictions", async (t) => {
  const model = classifier();
  const predictor = kilnPredictor(model);
  let nativeCalls = 0;
  const counting = { ...predictor, predict: (inputs: Float32Array[], count: number) => (nativeCalls++, predictor.predict(inputs, count)) };
  const { url, close } = await startServer(counting, { port: 0, maxBatch: 64 });
  try {
    const requests = Array.from({ length: 40 }, (_, r) => kiln.random.normal([1 + (r % 4), 3, 4]));
    const replies = await Promise.all(requests.map((x) => post(url, { instances: x.toArray() })));
    for (const [r, reply] of replies.entries()) {
      t.is(reply.status, 200);
      const expected = (await model.predict(requests[r])).dataSync();
      t.is(reply.json.predictions.length, requests[r].shape[0]);
      t.true(maxDifference(reply.json.predictions.flat(), expected) < 1e-6, `request ${r}`);
    }
    // Requests that arrived during a prediction were merged into the next one.
    t.true(nativeCalls < requests.length, `${nativeCalls} predict calls for ${requests.length} requests`);
  } finally {
    await close();
  }
});

test('multi-input, multi-output models take and give objects keyed by name', async (t) => {
  kiln.setSeed(12);
  const a = kiln.Input({ shape: [2], name: 'left' });
  const b = kiln.Input({ shape: [3], name: 'right' });
  const joined = new kiln.layers.Concatenate().apply([a, b]);
  const sum = new kiln.layers.Dense(1, { name: 'total' }).apply(joined);
  const probabilities = new kiln.layers.Dense(2, { activation: 'softmax', name: 'probabilities' }).apply(joined);
  const model = new kiln.Model({ inputs: [a, b], outputs: [sum, probabilities] });
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
    const reply = await post(url, {
      instances: [
        { left: left[0], right: right[0] },
        { left: left[1], right: right[1] },
      ],
    });
    t.is(reply.status, 200);
    const [total, probs] = await model.predict<kiln.Tensor[]>([kiln.tensor(left), kiln.tensor(right)]);
    t.true(
      maxDifference(
        reply.json.predictions.flatMap((p: any) => p.total),
        total.dataSync(),
      ) < 1e-6,
    );
    t.true(
      maxDifference(
        reply.json.predictions.flatMap((p: any) => p.probabilities),
        probs.dataSync(),
      ) < 1e-6,
    );
    const metadata = await (await fetch(`${url}/metadata`)).json();
    t.deepEqual(metadata.inputs, [
      { name: 'left', shape: [2] },
      { name: 'right', shape: [3] },
    ]);
  } finally {
    await close();
  }
});

test('bad requests get 400 with a reason; the server keeps serving', async (t) => {
  const model = classifier();
  const { url, close } = await startServer(kilnPredictor(model), { port: 0, maxBodyBytes: 4096 });
  try {
    const notJson = await post(url, '{"instances": [');
    t.is(notJson.status, 400);
    t.regex(notJson.json.error, /not valid JSON/);
    const wrongShape = await post(url, { instances: [[1, 2, 3]] });
    t.is(wrongShape.status, 400);
    t.regex(wrongShape.json.error, /instance 0, input "[^"]+": expected 4 entries on axis 1, got 1 \(shape \[3, 4\]\)/);
    const notNumbers = await post(url, { instances: [new Array(12).fill('x')] });
    t.regex(notNumbers.json.error, /expected finite numbers, got "x"/);
    t.is((await post(url, { instances: [] })).status, 400);
    t.is((await post(url, { instances: new Array(200).fill(new Array(12).fill(0.5)) })).status, 413);
    t.is((await fetch(`${url}/other`)).status, 404);
    const good = await post(url, { instances: [new Array(12).fill(0.5)] });
    t.is(good.status, 200);
    t.is(good.json.predictions[0].length, 5);
  } finally {
    await close();
  }
});

test('run as a program, it loads a saved model at start and serves its predictions', async (t) => {
  const model = classifier();
  const directory = mkdtempSync(join(tmpdir(), 'kiln-serve-'));
  const path = join(directory, 'classifier.keras');
  await model.save(path);
  const server = spawn(process.execPath, ['--import', 'tsx', join('examples', 'serve.ts'), path, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (chunk) => {
        out += chunk;
        const found = /at (http:\/\/\S+)\/predict/.exec(out)?.[1];
        if (found) resolve(found);
      });
      server.stderr.on('data', (chunk) => (out += chunk));
      server.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${out}`)));
    });
    const x = kiln.random.normal([3, 3, 4]);
    const reply = await post(url, { instances: x.toArray() });
    t.is(reply.status, 200);
    t.true(maxDifference(reply.json.predictions.flat(), (await model.predict(x)).dataSync()) < 1e-6);
  } finally {
    server.kill();
    rmSync(directory, { recursive: true, force: true });
  }
});
