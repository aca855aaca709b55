// What a distributed fit agrees on outside the native step: at its start, that every rank has
// the same model, optimizer and fit options (refused at once otherwise, naming the difference),
// then rank 0's weights, optimizer state, step count and resume epoch; each epoch's shuffled
// order; whether to stop after an epoch. A rank that fails tells the others why.
import type { NativeEngine } from '../../native.cjs';
import { RuntimeError, ValueError } from '../errors.js';
import type { Model } from '../models/model.js';
import { awaitNative, native } from '../native.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { activeJob } from './distribution.js';

/** What fit was asked to do, compared across ranks. */
export interface FitShape {
  epochs: number;
  /** Rows of array data (null for a Dataset). */
  samples: number | null;
  batchSize: number | null;
  stepsPerEpoch: number | null;
  batchesPerEpoch: number | null;
  shuffle: boolean;
}

/** Everything that must be equal on every rank for the ranks to train one model. */
function signature(model: Model, optimizer: Optimizer, fit: FitShape): Record<string, unknown> {
  const weights: Record<string, unknown> = {};
  model.weights.forEach((w, i) => (weights[`${i}:${w.path}`] = { shape: w.shape, trainable: w.trainable }));
  const rates = [0, 1, 100, 10000].map((step) => optimizer.learningRateAt(step));
  return { weights, optimizer: { class: optimizer.constructor.name, ...optimizer.spec(), learningRate: rates }, fit };
}

/** The first place where two JSON values differ, as a path, with both values. */
function firstDifference(a: unknown, b: unknown, path: string): { path: string; a: unknown; b: unknown } | undefined {
  // A list of numbers (a shape) is compared whole.
  const leaf = (v: unknown) => Array.isArray(v) && v.every((e) => typeof e !== 'object' || e === null);
  if (leaf(a) || leaf(b)) return JSON.stringify(a) === JSON.stringify(b) ? undefined : { path, a, b };
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    if (!Array.isArray(a)) {
      const missing = ka.find((k) => !kb.includes(k)) ?? kb.find((k) => !ka.includes(k));
      if (missing !== undefined) return { path: `${path}.${missing}`, a: (a as Record<string, unknown>)[missing] ?? 'nothing', b: (b as Record<string, unknown>)[missing] ?? 'nothing' };
    } else if (ka.length !== kb.length) {
      return { path: `${path}.length`, a: ka.length, b: kb.length };
    }
    for (const k of ka) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : { path, a, b };
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const decoder = new TextDecoder();

/** Refuses ranks whose model, optimizer or fit options differ, naming the first difference. */
async function checkSameModel(model: Model, optimizer: Optimizer, fit: FitShape): Promise<void> {
  const mine = signature(model, optimizer, fit);
  const all = await awaitNative(() => native.distributionAllgather(new TextEncoder().encode(JSON.stringify(mine)), "comparing the ranks' models"));
  const reference = JSON.parse(decoder.decode(all[0]));
  for (let r = 1; r < all.length; r++) {
    const d = firstDifference(reference, JSON.parse(decoder.decode(all[r])), '');
    if (!d) continue;
    const where = d.path
      .replace(/^\.weights\.\d+:([^.]+)\.?/, (_, p) => `weight '${p}' `)
      .replace(/^\./, '')
      .trim();
    throw new ValueError(
      `kiln.distribution: rank ${r}'s model differs from rank 0's at ${where}: rank 0 has ${show(d.a)}, rank ${r} has ${show(d.b)}. Every rank must build the same model, compile it the same way and call fit with the same options`,
    );
  }
}

/**
 * The start of a distributed fit: the same model everywhere, then rank 0's state on every
 * rank. Returns rank 0's step count and first epoch (BackupAndRestore runs on rank 0 only).
 */
export async function synchronizeFit(model: Model, engine: NativeEngine, optimizer: Optimizer, fit: FitShape, firstEpoch: number): Promise<{ iterations: number; firstEpoch: number }> {
  await checkSameModel(model, optimizer, fit);
  await awaitNative(() => engine.broadcastState());
  const counters = Float64Array.of(optimizer.iterations, firstEpoch);
  const [bytes] = await awaitNative(() => native.distributionBroadcast(new Uint8Array(counters.buffer), "broadcasting rank 0's first epoch"));
  const [iterations, epoch] = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { iterations, firstEpoch: epoch };
}

/** Rank 0's shuffled order of an epoch, on every rank (so ranks agree even without setSeed). */
export async function broadcastOrder(order: Uint32Array): Promise<Uint32Array> {
  const [bytes] = await awaitNative(() => native.distributionBroadcast(new Uint8Array(order.buffer, order.byteOffset, order.byteLength), "broadcasting the epoch's order"));
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Whether any rank asked to stop training after this epoch. */
export async function anyRankStops(stop: boolean): Promise<boolean> {
  const [bytes] = await awaitNative(() => native.distributionMax(Float64Array.of(stop ? 1 : 0), 'agreeing whether to stop'));
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))[0] > 0;
}

/** Tells the other ranks that this one failed with `error` (a failure that came from them is not sent back). */
export function announceFailure(error: unknown): void {
  if (!activeJob() || native.distributionFailure()) return;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  native.distributionAnnounceFailure(message.split('\n')[0]);
}

/**
 * The ranks' gradients are averaged weighted by their rows, which is exactly the global batch's
 * gradient for a loss divided by the batch size (Keras' default reduction); other reductions
 * would train something else than one process does, so they are refused.
 */
export function refuseInexactReductions(losses: { name?: string; reduction?: string }[]): void {
  const other = losses.find((l) => l.reduction !== undefined && l.reduction !== 'sum_over_batch_size' && l.reduction !== 'mean');
  if (other) {
    throw new ValueError(
      `kiln.distribution: DataParallel averages the ranks' gradients weighted by their rows, which equals one process's training only for losses with reduction 'sum_over_batch_size' (Keras' default); the loss ${other.name ?? ''} has reduction '${other.reduction}'`,
    );
  }
}

/** A distributed fit trains the compiled step: a custom trainStep is refused. */
export function refuseCustomStep(): never {
  throw new RuntimeError(
    'kiln.distribution: DataParallel averages the gradients of the compiled training step; a model that overrides trainStep is not supported yet (call setDistribution(null) to train it in one process)',
  );
}
