// softmax and log_softmax on any axis. The engine's softmax works on the last axis (and is
// fused with cross-entropy there); another axis is moved last and back.
import { formatValue } from '../utils/options.js';
import { ValueError } from '../errors.js';
import { callNative, native } from '../native.js';
import type { OpInput, OpResult } from '../ops.js';
import { sub, transpose } from '../ops.js';
import { Tensor } from '../tensor.js';
import { concrete, isSymbolic, record, shapeOf, symbolic, where } from './recording.js';
import { logSumExp } from './reduction.js';

function lastAxisSoftmax<A extends OpInput>(x: A): OpResult<A> {
  if (isSymbolic([x])) {
    const s = symbolic(x);
    return record({ op: 'softmax' }, [s], s.shape) as OpResult<A>;
  }
  const t = concrete(x);
  return new Tensor(callNative(() => native.softmax(t.handle))) as OpResult<A>;
}

function checkAxis(axis: number, rank: number, op: string): number {
  const a = typeof axis === 'number' && axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) throw new ValueError(`${where()}${op}: axis ${formatValue(axis)} is out of range for a tensor of rank ${rank}`);
  return a;
}

/** exp(x) / sum(exp(x)) along `axis` (default the last, as Keras' `ops.softmax`). */
export function softmax<A extends OpInput>(x: A, axis = -1): OpResult<A> {
  const rank = shapeOf(x).length;
  const a = checkAxis(axis, rank, 'softmax');
  if (a === rank - 1) return lastAxisSoftmax(x);
  // Swapping the axis with the last is its own inverse.
  const perm = Array.from({ length: rank }, (_, i) => (i === a ? rank - 1 : i === rank - 1 ? a : i));
  return transpose(lastAxisSoftmax(transpose(x, perm) as OpInput) as OpInput, perm) as OpResult<A>;
}

/** x - logsumexp(x) along `axis` (default the last), stable for large values (Keras' `ops.log_softmax`). */
export function logSoftmax<A extends OpInput>(x: A, axis = -1): OpResult<A> {
  checkAxis(axis, shapeOf(x).length, 'logSoftmax');
  return sub(x, logSumExp(x, axis, true)) as OpResult<A>;
}
