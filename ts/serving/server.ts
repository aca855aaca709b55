// The HTTP server: TensorFlow Serving's REST API for one model (predict, status, metadata),
// health and readiness for orchestrators, Prometheus metrics, and a graceful shutdown that
// finishes the requests in flight while answering new ones 503.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ValueError } from '../errors.js';
import { checkOptionNames, describeValue } from '../utils/options.js';
import { DynamicBatcher } from './dynamic_batcher.js';
import { HttpError } from './http_error.js';
import { ServerMetrics } from './metrics.js';
import type { Predictor, Signature } from './predictor.js';
import { parseJsonBody, readBody } from './request_body.js';
import { formatJsonResponse, parseBinaryRequest, parseJsonRequest } from './tensor_payload.js';

/** Options of `startServer` and `serve`, with their defaults. */
export interface ServeOptions {
  /** Default 8501 (TensorFlow Serving's REST port); 0 picks a free one. */
  port?: number;
  /** Default '127.0.0.1' (loopback only); '0.0.0.0' to serve other machines. */
  host?: string;
  /** The NAME in /v1/models/NAME (letters, digits, '.', '_', '-'). Default 'default' (`serve`: the file's name). */
  modelName?: string;
  /** Most samples merged into one predict. Default 256. */
  maxBatch?: number;
  /** Longest a request waits for others to fill its batch, in ms. Default 0 (never waits). */
  batchTimeoutMs?: number;
  /** Most samples waiting for a batch; more get 503. Default 4096. */
  maxQueue?: number;
  /** Largest request body in bytes; larger ones get 413. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Deepest nesting of arrays and objects in a JSON body; deeper gets 400. Default 32. */
  maxJsonDepth?: number;
  /** On shutdown, the longest wait for requests in flight before closing anyway, in ms. Default 30000. */
  shutdownTimeoutMs?: number;
}

const OPTION_NAMES = ['port', 'host', 'modelName', 'maxBatch', 'batchTimeoutMs', 'maxQueue', 'maxBodyBytes', 'maxJsonDepth', 'shutdownTimeoutMs'] as const;

/** A started server. */
export interface RunningServer {
  /** The node:http server (listening until shutdown completes). */
  server: Server;
  /** http://host:port */
  url: string;
  /** The NAME of /v1/models/NAME. */
  modelName: string;
  /** Stops taking requests (503), finishes those in flight, then closes. Idempotent. */
  shutdown(): Promise<void>;
  /** The same as shutdown. */
  close(): Promise<void>;
}

function integerOption(options: ServeOptions, name: keyof ServeOptions, fallback: number, minimum: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new ValueError(`kiln.serving: ${name} must be an integer >= ${minimum}, got ${describeValue(value)}`);
  }
  return value;
}

function tensorInfo(signature: Signature, prefix: string) {
  return {
    dtype: 'DT_FLOAT',
    tensor_shape: { dim: [-1, ...signature.shape].map((size) => ({ size: String(size), name: '' })), unknown_rank: false },
    name: `${prefix}_${signature.name}:0`,
  };
}

/** TensorFlow Serving's GetModelMetadata reply for the model's one signature. */
function modelMetadata(name: string, predictor: Predictor) {
  return {
    model_spec: { name, signature_name: '', version: '1' },
    metadata: {
      signature_def: {
        signature_def: {
          serving_default: {
            inputs: Object.fromEntries(predictor.inputs.map((s) => [s.name, tensorInfo(s, 'serving_default')])),
            outputs: Object.fromEntries(predictor.outputs.map((s) => [s.name, tensorInfo(s, 'StatefulPartitionedCall')])),
            method_name: 'tensorflow/serving/predict',
          },
        },
      },
    },
  };
}

const JSON_TYPE = 'application/json';
const BINARY_TYPE = 'application/octet-stream';

/** Starts serving `predictor`; resolves once the server listens. */
export async function startServer(predictor: Predictor, options: ServeOptions = {}): Promise<RunningServer> {
  checkOptionNames('kiln.serving.startServer', options, OPTION_NAMES);
  const port = integerOption(options, 'port', 8501, 0);
  const host = options.host ?? '127.0.0.1';
  const modelName = options.modelName ?? 'default';
  if (typeof modelName !== 'string' || !/^[\w.-]+$/.test(modelName)) {
    throw new ValueError(`kiln.serving: modelName must be letters, digits, '.', '_' or '-', got ${describeValue(modelName)}`);
  }
  const batching = {
    maxBatch: integerOption(options, 'maxBatch', 256, 1),
    batchTimeoutMs: integerOption(options, 'batchTimeoutMs', 0, 0),
    maxQueue: integerOption(options, 'maxQueue', 4096, 1),
  };
  const maxBodyBytes = integerOption(options, 'maxBodyBytes', 16 << 20, 1);
  const maxJsonDepth = integerOption(options, 'maxJsonDepth', 32, 1);
  const shutdownTimeoutMs = integerOption(options, 'shutdownTimeoutMs', 30_000, 0);

  let batcher: DynamicBatcher;
  const metrics = new ServerMetrics(modelName, batching.maxBatch, () => batcher.queuedSamples);
  batcher = new DynamicBatcher(predictor, batching, (samples) => metrics.recordBatch(samples));
  const modelPath = `/v1/models/${modelName}`;
  let draining = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const send = (response: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}): number => {
    response.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...(draining ? { connection: 'close' } : {}), ...extra });
    response.end(body);
    return status;
  };
  const json = (response: ServerResponse, status: number, body: unknown) => send(response, status, JSON.stringify(body), JSON_TYPE);

  async function predict(request: IncomingMessage, response: ServerResponse): Promise<number> {
    const body = await readBody(request, maxBodyBytes);
    const binary = (request.headers['content-type'] ?? '').toLowerCase().startsWith(BINARY_TYPE);
    const parsed = binary ? parseBinaryRequest(body, predictor.inputs) : parseJsonRequest(parseJsonBody(body, maxJsonDepth), predictor.inputs);
    const outputs = await batcher.predict(parsed.inputs, parsed.count);
    const wantsBinary = (request.headers.accept ?? '').includes(BINARY_TYPE) && outputs.length === 1;
    if (wantsBinary) {
      const bytes = Buffer.from(outputs[0].buffer, outputs[0].byteOffset, outputs[0].byteLength);
      return send(response, 200, bytes, BINARY_TYPE, { 'x-kiln-shape': JSON.stringify([parsed.count, ...predictor.outputs[0].shape]) });
    }
    return json(response, 200, formatJsonResponse(parsed.form, outputs, parsed.count, predictor.outputs));
  }

  /** The route's fixed name, for the metrics; undefined for an unknown path. */
  function routeName(path: string): string | undefined {
    switch (path) {
      case '/healthz':
      case '/readyz':
      case '/metrics':
        return path.slice(1);
      case modelPath:
        return 'status';
      case `${modelPath}/metadata`:
      case '/metadata':
      case '/':
        return 'metadata';
      case `${modelPath}:predict`:
      case '/predict':
        return 'predict';
      default:
        return undefined;
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<[string, number]> {
    const method = request.method ?? 'GET';
    const path = (request.url ?? '/').split('?')[0];
    const name = routeName(path);
    if (name === undefined) {
      const known = path.startsWith('/v1/models/')
        ? `this server serves the model "${modelName}"`
        : `routes: POST ${modelPath}:predict, GET ${modelPath}, GET ${modelPath}/metadata, /healthz, /readyz, /metrics`;
      return ['other', json(response, 404, { error: `not found; ${known}` })];
    }
    if (name === 'predict') {
      if (method !== 'POST') return [name, json(response, 405, { error: 'predict takes POST' })];
      if (draining) return [name, json(response, 503, { error: 'the server is shutting down' })];
      return [name, await predict(request, response)];
    }
    if (method !== 'GET') return [name, json(response, 405, { error: `${path} takes GET` })];
    switch (name) {
      case 'healthz':
        return [name, json(response, 200, { status: 'alive' })];
      case 'readyz':
        return [name, json(response, draining ? 503 : 200, { status: draining ? 'shutting down' : 'ready' })];
      case 'metrics':
        return [name, send(response, 200, metrics.render(), 'text/plain; version=0.0.4; charset=utf-8')];
      case 'status':
        return [name, json(response, 200, { model_version_status: [{ version: '1', state: draining ? 'UNLOADING' : 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] })];
      default:
        return [name, json(response, 200, path === '/metadata' || path === '/' ? { inputs: predictor.inputs, outputs: predictor.outputs } : modelMetadata(modelName, predictor))];
    }
  }

  const server = createServer((request, response) => {
    const started = performance.now();
    inFlight++;
    handle(request, response)
      .catch((error: unknown): [string, number] => {
        const status = error instanceof HttpError ? error.status : 500;
        const message = error instanceof HttpError ? error.message : `prediction failed: ${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
        if (!response.headersSent) {
          // Refused before its body was read: do not keep reading a body that is too large.
          if (status === 413) response.setHeader('connection', 'close');
          json(response, status, { error: message });
        } else response.destroy();
        return ['predict', status];
      })
      .then(([name, status]) => {
        metrics.recordRequest(name, status, (performance.now() - started) / 1000);
        inFlight--;
        if (draining && inFlight === 0) drained?.();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      draining = true;
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, shutdownTimeoutMs).unref();
        });
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    })());
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { server, url: `http://${shownHost}:${address.port}`, modelName, shutdown, close: shutdown };
}
