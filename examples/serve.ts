// Serving a saved model over HTTP with node:http, in the JSON format of TensorFlow Serving's
// REST API:
//
//   npx tsx examples/serve.ts model.keras [port]
//   curl -d '{"instances": [[0.1, 0.2, ...]]}' http://127.0.0.1:8501/predict
//   -> {"predictions": [[0.02, 0.97, ...]]}
//
// Predictions run on kiln's native threads, so the event loop keeps accepting and parsing
// requests meanwhile. Requests that arrive while a prediction runs wait in a queue and go
// together into the next one (dynamic batching): one native call serves many requests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';

/** A named input or output and the shape of one sample (no batch axis). */
export interface Signature {
  name: string;
  shape: number[];
}

/** What the server needs of a model: its signature and a batched predict on flat float32 data. */
export interface Predictor {
  inputs: Signature[];
  outputs: Signature[];
  /** One flat array per input holding `count` samples; resolves to one flat array per output. */
  predict(inputs: Float32Array[], count: number): Promise<Float32Array[]>;
}

const sampleShape = (shape: kiln.Shape) => shape.slice(1).map((d) => d ?? 1);

/** A kiln model as a Predictor. */
export function kilnPredictor(model: kiln.Model): Predictor {
  return {
    inputs: model.inputs.map((t) => ({ name: t.name, shape: sampleShape(t.shape) })),
    outputs: model.outputs.map((t) => ({ name: t.name, shape: sampleShape(t.shape) })),
    async predict(inputs, count) {
      const tensors = inputs.map((data, i) => kiln.tensor(data, [count, ...sampleShape(model.inputs[i].shape)]));
      const result = await model.predict<kiln.Tensor | kiln.Tensor[]>(tensors.length === 1 ? tensors[0] : tensors, { batchSize: count });
      return (Array.isArray(result) ? result : [result]).map((t) => t.dataSync() as Float32Array);
    },
  };
}

class BadRequest extends Error {}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A bad value in a few words: an error body never echoes a large request back. */
function describeLeaf(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * Copies one instance (nested arrays of the sample's shape, or one flat array of its size) into
 * `out` at `offset`, walking the JSON once without intermediate arrays.
 */
function writeInstance(value: unknown, shape: number[], out: Float32Array, offset: number, where: string): void {
  const fail = (what: string): never => {
    throw new BadRequest(`${where}: expected ${what} (shape [${shape.join(', ')}])`);
  };
  const write = (v: unknown, depth: number, at: number): number => {
    if (depth === shape.length) {
      // Finite as float32 too: 1e39 is a JavaScript number but Infinity in the model.
      if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) throw new BadRequest(`${where}: expected finite numbers, got ${describeLeaf(v)}${typeof v === 'number' && Number.isFinite(v) ? ' (infinite as float32)' : ''}`);
      out[at] = v;
      return at + 1;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) fail(`${shape[depth]} entries on axis ${depth}, got ${Array.isArray(v) ? v.length : JSON.stringify(v)}`);
    for (const item of v as unknown[]) at = write(item, depth + 1, at);
    return at;
  };
  const flat = Array.isArray(value) && shape.length > 1 && value.length === size(shape) && !Array.isArray(value[0]);
  if (flat) (value as unknown[]).forEach((v, i) => write(v, shape.length, offset + i));
  else write(value, 0, offset);
}

/** The instance's samples per input: arrays for single-input models, `{ inputName: array }` otherwise. */
function parseInstances(body: unknown, inputs: Signature[]): Float32Array[] {
  const instances = (body as { instances?: unknown })?.instances;
  if (!Array.isArray(instances) || instances.length === 0) throw new BadRequest('expected a JSON object {"instances": [...]} with at least one instance');
  const arrays = inputs.map((input) => new Float32Array(instances.length * size(input.shape)));
  instances.forEach((instance, n) => {
    inputs.forEach((input, i) => {
      const value = inputs.length === 1 && Array.isArray(instance) ? instance : (instance as Record<string, unknown>)?.[input.name];
      if (value === undefined) throw new BadRequest(`instance ${n}: missing input "${input.name}"`);
      writeInstance(value, input.shape, arrays[i], n * size(input.shape), `instance ${n}, input "${input.name}"`);
    });
  });
  return arrays;
}

/** Row-major values as nested arrays of the given shape. */
function nest(data: Float32Array, offset: number, shape: number[]): unknown {
  if (shape.length === 0) return data[offset];
  const inner = size(shape.slice(1));
  return Array.from({ length: shape[0] }, (_, i) => nest(data, offset + i * inner, shape.slice(1)));
}

interface Pending {
  inputs: Float32Array[];
  count: number;
  resolve: (outputs: Float32Array[]) => void;
  reject: (error: unknown) => void;
}

/** Runs one prediction at a time; requests queued meanwhile are merged into the next one. */
class DynamicBatcher {
  private queue: Pending[] = [];
  private running = false;

  constructor(private readonly predictor: Predictor, private readonly maxBatch: number) {}

  predict(inputs: Float32Array[], count: number): Promise<Float32Array[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ inputs, count, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let count = 0;
      while (this.queue.length > 0 && (batch.length === 0 || count + this.queue[0].count <= this.maxBatch)) {
        const next = this.queue.shift()!;
        batch.push(next);
        count += next.count;
      }
      try {
        const joined = this.predictor.inputs.map((input, i) => {
          const all = new Float32Array(count * size(input.shape));
          let offset = 0;
          for (const p of batch) {
            all.set(p.inputs[i], offset);
            offset += p.inputs[i].length;
          }
          return all;
        });
        const outputs = await this.predictor.predict(joined, count);
        let start = 0;
        for (const p of batch) {
          p.resolve(outputs.map((data, o) => data.slice(start * size(this.predictor.outputs[o].shape), (start + p.count) * size(this.predictor.outputs[o].shape))));
          start += p.count;
        }
      } catch (error) {
        batch.forEach((p) => p.reject(error));
      }
    }
    this.running = false;
  }
}

export interface ServeOptions {
  /** Default 8501 (TensorFlow Serving's REST port); 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Most samples merged into one prediction (default 256). */
  maxBatch?: number;
  /** Largest request body in bytes (default 16 MiB). */
  maxBodyBytes?: number;
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request) {
    length += (chunk as Buffer).length;
    if (length > limit) throw Object.assign(new BadRequest(`request body larger than ${limit} bytes`), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the HTTP server; resolves once it listens. */
export async function startServer(predictor: Predictor, options: ServeOptions = {}): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const { port = 8501, host = '127.0.0.1', maxBatch = 256, maxBodyBytes = 16 << 20 } = options;
  const batcher = new DynamicBatcher(predictor, maxBatch);
  const server = createServer(async (request, response) => {
    try {
      if (request.method === 'GET' && (request.url === '/' || request.url === '/metadata')) {
        return reply(response, 200, { inputs: predictor.inputs, outputs: predictor.outputs });
      }
      if (request.method !== 'POST' || request.url !== '/predict') return reply(response, 404, { error: 'use POST /predict or GET /metadata' });
      let body: unknown;
      try {
        body = JSON.parse(await readBody(request, maxBodyBytes));
      } catch (error) {
        if (error instanceof BadRequest) throw error;
        throw new BadRequest(`the body is not valid JSON: ${(error as Error).message}`);
      }
      const inputs = parseInstances(body, predictor.inputs);
      const count = inputs[0].length / size(predictor.inputs[0].shape);
      const outputs = await batcher.predict(inputs, count);
      const predictions = Array.from({ length: count }, (_, n) => {
        const perOutput = predictor.outputs.map((o, k) => nest(outputs[k], n * size(o.shape), o.shape));
        return perOutput.length === 1 ? perOutput[0] : Object.fromEntries(predictor.outputs.map((o, k) => [o.name, perOutput[k]]));
      });
      reply(response, 200, { predictions });
    } catch (error) {
      const status = error instanceof BadRequest ? ((error as BadRequest & { status?: number }).status ?? 400) : 500;
      reply(response, status, { error: (error as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Run as a program: load the saved model, then serve it until stopped.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [path, port] = process.argv.slice(2);
  if (!path) {
    console.error('usage: tsx examples/serve.ts <model.keras | model.h5> [port]');
    process.exit(2);
  }
  const model = await kiln.models.loadModel(path);
  const { url, close } = await startServer(kilnPredictor(model), { port: port === undefined ? 8501 : Number(port) });
  console.log(`Serving ${path} (${model.name}) at ${url}/predict`);
  // Stop accepting connections, let the requests in progress finish, then exit.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void close().then(() => process.exit(0)));
}
