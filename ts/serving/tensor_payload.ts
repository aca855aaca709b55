// TensorFlow Serving's REST request and response bodies, as flat float32 arrays per input and
// from flat arrays per output: the row form ({"instances": [...]} -> {"predictions": [...]}),
// the columnar form ({"inputs": ...} -> {"outputs": ...}), {"b64": "..."} little-endian float32
// bytes in place of a nested list, and a raw application/octet-stream float32 body.
import { badRequest, describeRequestValue } from './http_error.js';
import { sampleSize, type Signature } from './predictor.js';

/** The largest finite float32; a JSON number beyond it would become Infinity in the model. */
const FLOAT32_MAX = 3.4028234663852886e38;

export type RequestForm = 'instances' | 'inputs' | 'binary';

export interface ParsedRequest {
  form: RequestForm;
  /** One flat array per model input, `count` samples each. */
  inputs: Float32Array[];
  count: number;
}

/** A 400 unless every value is a number float32 can hold (NaN and overflow refused). */
function checkFloats(values: Float32Array, where: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw badRequest(`${where}: value ${i} is NaN or infinite`);
  }
}

/** Little-endian float32 bytes as a Float32Array of `multipleOf`-sized samples. */
function floatsFromBytes(bytes: Uint8Array, multipleOf: number, where: string): Float32Array {
  if (bytes.length === 0 || bytes.length % (4 * multipleOf) !== 0) {
    throw badRequest(`${where}: expected float32 bytes for whole samples of ${multipleOf} values (a multiple of ${4 * multipleOf} bytes), got ${bytes.length} bytes`);
  }
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  checkFloats(values, where);
  return values;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The float32 values of a {"b64": "..."} object, or undefined when `value` is not one. */
function fromBase64(value: unknown, multipleOf: number, where: string): Float32Array | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('b64' in value)) return undefined;
  const text = (value as { b64: unknown }).b64;
  if (typeof text !== 'string' || Object.keys(value).length !== 1 || !BASE64.test(text)) {
    throw badRequest(`${where}: expected {"b64": "<base64 of little-endian float32 values>"}`);
  }
  return floatsFromBytes(Buffer.from(text, 'base64'), multipleOf, where);
}

/**
 * Copies nested lists of `shape` (or one flat list of its size) into `out` at `offset`,
 * walking the parsed JSON once.
 */
function writeNested(value: unknown, shape: number[], out: Float32Array, offset: number, where: string): void {
  const write = (v: unknown, depth: number, at: number): number => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw badRequest(`${where}: expected finite numbers, got ${describeRequestValue(v)}`);
      if (!(Math.abs(v) <= FLOAT32_MAX)) throw badRequest(`${where}: value ${at - offset} is outside float32's range`);
      out[at] = v;
      return at + 1;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw badRequest(`${where}: expected ${shape[depth]} entries on axis ${depth}, got ${Array.isArray(v) ? v.length : describeRequestValue(v)} (shape [${shape.join(', ')}])`);
    }
    for (const item of v) at = write(item, depth + 1, at);
    return at;
  };
  const flat = Array.isArray(value) && shape.length > 1 && value.length === sampleSize(shape) && !Array.isArray(value[0]);
  if (flat) (value as unknown[]).forEach((v, i) => write(v, shape.length, offset + i));
  else write(value, 0, offset);
}

/** The value given for each input: `value` itself for a one-input model, else its named fields. */
function perInput(value: unknown, inputs: Signature[], where: string): unknown[] {
  if (inputs.length === 1 && (Array.isArray(value) || (typeof value === 'object' && value !== null && 'b64' in value))) return [value];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`${where}: expected an object keyed by input name (${inputs.map((i) => i.name).join(', ')}), got ${describeRequestValue(value)}`);
  }
  const record = value as Record<string, unknown>;
  const known = new Set(inputs.map((i) => i.name));
  const unknown = Object.keys(record).filter((key) => !known.has(key)).length;
  if (unknown > 0) throw badRequest(`${where}: ${unknown} key${unknown > 1 ? 's are' : ' is'} not an input of the model (inputs: ${[...known].join(', ')})`);
  return inputs.map((input) => {
    if (record[input.name] === undefined) throw badRequest(`${where}: missing input "${input.name}"`);
    return record[input.name];
  });
}

function parseInstances(instances: unknown, inputs: Signature[]): ParsedRequest {
  if (!Array.isArray(instances) || instances.length === 0) throw badRequest('"instances" must be a list with at least one instance');
  const count = instances.length;
  const arrays = inputs.map((input) => new Float32Array(count * sampleSize(input.shape)));
  instances.forEach((instance, n) => {
    perInput(instance, inputs, `instance ${n}`).forEach((value, i) => {
      const input = inputs[i];
      const where = `instance ${n}, input "${input.name}"`;
      const decoded = fromBase64(value, sampleSize(input.shape), where);
      if (decoded === undefined) writeNested(value, input.shape, arrays[i], n * sampleSize(input.shape), where);
      else if (decoded.length !== sampleSize(input.shape)) throw badRequest(`${where}: expected one sample of ${sampleSize(input.shape)} values, got ${decoded.length}`);
      else arrays[i].set(decoded, n * sampleSize(input.shape));
    });
  });
  return { form: 'instances', inputs: arrays, count };
}

function parseColumns(columns: unknown, inputs: Signature[]): ParsedRequest {
  let count: number | undefined;
  const arrays = perInput(columns, inputs, '"inputs"').map((value, i) => {
    const input = inputs[i];
    const where = `input "${input.name}"`;
    const decoded = fromBase64(value, sampleSize(input.shape), where);
    const samples = decoded === undefined ? (Array.isArray(value) ? value.length : 0) : decoded.length / sampleSize(input.shape);
    if (samples === 0) throw badRequest(`${where}: expected a list of samples (a batch of shape [${input.shape.join(', ')}]) or {"b64": ...}, got ${describeRequestValue(value)}`);
    if (count !== undefined && samples !== count) throw badRequest(`${where}: ${samples} samples, but the inputs before it have ${count}`);
    count = samples;
    if (decoded !== undefined) return decoded;
    const array = new Float32Array(samples * sampleSize(input.shape));
    (value as unknown[]).forEach((sample, n) => writeNested(sample, input.shape, array, n * sampleSize(input.shape), `${where}, sample ${n}`));
    return array;
  });
  return { form: 'inputs', inputs: arrays, count: count! };
}

const REQUEST_KEYS = new Set(['instances', 'inputs', 'signature_name']);

/** A parsed JSON predict body in either of TensorFlow Serving's forms. */
export function parseJsonRequest(body: unknown, inputs: Signature[]): ParsedRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('expected a JSON object with "instances" or "inputs"');
  const keys = Object.keys(body);
  const unknown = keys.filter((key) => !REQUEST_KEYS.has(key)).length;
  if (unknown > 0) throw badRequest(`the body has ${unknown} key${unknown > 1 ? 's' : ''} other than "instances", "inputs" and "signature_name"`);
  const { instances, inputs: columns, signature_name: signature } = body as Record<string, unknown>;
  if (signature !== undefined && signature !== 'serving_default') throw badRequest('the only signature is "serving_default"');
  if ((instances === undefined) === (columns === undefined)) throw badRequest('expected exactly one of "instances" (one entry per sample) and "inputs" (one batch per input)');
  return instances !== undefined ? parseInstances(instances, inputs) : parseColumns(columns, inputs);
}

/** A raw float32 body: the samples of a one-input model, back to back. */
export function parseBinaryRequest(body: Buffer, inputs: Signature[]): ParsedRequest {
  if (inputs.length !== 1) throw badRequest(`a binary body serves one-input models; this model has ${inputs.length} inputs: send JSON with {"b64": ...} per input`);
  const values = floatsFromBytes(body, sampleSize(inputs[0].shape), 'the body');
  return { form: 'binary', inputs: [values], count: values.length / sampleSize(inputs[0].shape) };
}

/** Row-major values as nested lists of the given shape. */
function nest(data: Float32Array, offset: number, shape: number[]): unknown {
  if (shape.length === 0) return data[offset];
  const inner = sampleSize(shape.slice(1));
  return Array.from({ length: shape[0] }, (_, i) => nest(data, offset + i * inner, shape.slice(1)));
}

/** The JSON reply: {"predictions": [...]} for the row form, {"outputs": ...} otherwise. */
export function formatJsonResponse(form: RequestForm, outputs: Float32Array[], count: number, signatures: Signature[]): object {
  if (form === 'instances') {
    const predictions = Array.from({ length: count }, (_, n) => {
      const values = signatures.map((o, k) => nest(outputs[k], n * sampleSize(o.shape), o.shape));
      return values.length === 1 ? values[0] : Object.fromEntries(signatures.map((o, k) => [o.name, values[k]]));
    });
    return { predictions };
  }
  const columns = signatures.map((o, k) => nest(outputs[k], 0, [count, ...o.shape]));
  return { outputs: columns.length === 1 ? columns[0] : Object.fromEntries(signatures.map((o, k) => [o.name, columns[k]])) };
}
