// Einstein summation (Keras' `ops.einsum`) as transposes, sums, reshapes and one matrix
// product per pair of operands: the indices both operands and the result share are batch
// axes, those only the operands share are contracted, the rest are free.
import { ValueError } from '../errors.js';
import type { OpInput, OpResult } from '../ops.js';
import { transpose } from '../ops.js';
import type { Shape } from '../symbolic.js';
import { batchMatmul } from './batch_matmul.js';
import { matmul } from './matmul.js';
import { shapeOf, where } from './recording.js';
import { sum } from './reduction.js';
import { reshapeTo, type TargetAxis } from './reshaping.js';

interface Term {
  value: OpInput;
  indices: string;
}

function parse(subscripts: string, count: number): { inputs: string[]; output: string } {
  const fail = (why: string) => new ValueError(`${where()}einsum: ${why}, got '${subscripts}'`);
  if (typeof subscripts !== 'string') throw new ValueError(`${where()}einsum: subscripts must be a string such as 'ij,jk->ik', got ${typeof subscripts}`);
  const text = subscripts.replace(/\s+/g, '');
  if (text.includes('.')) throw fail('ellipsis (...) is not supported yet; name every axis');
  const [lhs, rhs] = text.split('->');
  const inputs = lhs.split(',');
  if (inputs.length !== count) throw fail(`the subscripts name ${inputs.length} operand(s) but ${count} were given`);
  if (![...inputs, rhs ?? ''].every((s) => /^[a-zA-Z]*$/.test(s))) throw fail('indices must be letters');
  // Without '->', the result keeps the indices that appear once, in alphabetical order (numpy).
  const letters = inputs.join('');
  const output =
    rhs ??
    [...new Set(letters)]
      .filter((c) => letters.indexOf(c) === letters.lastIndexOf(c))
      .sort()
      .join('');
  for (const s of inputs) {
    if (new Set(s).size !== s.length) throw fail(`a repeated index within one operand (a diagonal or trace, '${s}') is not supported`);
  }
  if (new Set(output).size !== output.length) throw fail('the output repeats an index');
  for (const c of output) if (!letters.includes(c)) throw fail(`output index '${c}' appears in no operand`);
  return { inputs, output };
}

/** Sums out the indices of `t` not in `keep`, then orders the rest as `order`. */
function reduceAndOrder(t: Term, keep: string, order?: string): Term {
  const gone = [...t.indices].flatMap((c, i) => (keep.includes(c) ? [] : [i]));
  let value = t.value;
  let indices = t.indices;
  if (gone.length > 0) {
    value = sum(value, gone) as OpInput;
    indices = [...indices].filter((c) => keep.includes(c)).join('');
  }
  if (order !== undefined && order !== indices) {
    value = transpose(
      value,
      [...order].map((c) => indices.indexOf(c)),
    ) as OpInput;
    indices = order;
  }
  return { value, indices };
}

/** Reshape target merging each group of axes (given by their positions in `shape`) into one. */
function mergeTarget(shape: Shape, groups: number[][]): TargetAxis[] {
  return groups.map((g) => {
    if (g.length === 1) return { from: g[0] };
    const lengths = g.map((i) => shape[i]);
    return lengths.includes(null) ? -1 : (lengths as number[]).reduce((a, b) => a * b, 1);
  });
}

function contractPair(a: Term, b: Term, keep: string): Term {
  const inB = (c: string) => b.indices.includes(c);
  const inA = (c: string) => a.indices.includes(c);
  const batch = [...a.indices].filter((c) => inB(c) && keep.includes(c)).join('');
  const contracted = [...a.indices].filter((c) => inB(c) && !keep.includes(c)).join('');
  const freeA = [...a.indices].filter((c) => !inB(c) && keep.includes(c)).join('');
  const freeB = [...b.indices].filter((c) => !inA(c) && keep.includes(c)).join('');
  const x = reduceAndOrder(a, batch + freeA + contracted, batch + freeA + contracted);
  const y = reduceAndOrder(b, batch + contracted + freeB, batch + contracted + freeB);
  const [sx, sy] = [shapeOf(x.value), shapeOf(y.value)];
  const nb = batch.length;
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  // Merge each group to one axis (an empty group becomes an axis of 1).
  // Without batch axes a GEMM takes [..., k] as it is, so the free axes of the first operand
  // stay apart (several of them may have unknown lengths).
  const freeAxesX = nb === 0 ? range(0, freeA.length).map((i) => [i]) : [range(nb, freeA.length)];
  const groupsX = [...range(0, nb).map((i) => [i]), ...freeAxesX, range(nb + freeA.length, contracted.length)];
  const groupsY = [...range(0, nb).map((i) => [i]), range(nb, contracted.length), range(nb + contracted.length, freeB.length)];
  const merged = (v: OpInput, s: Shape, groups: number[][]) => {
    const target = groups.map((g) => (g.length === 0 ? 1 : mergeTarget(s, [g])[0]));
    const identity = groups.every((g, i) => g.length === 1 && g[0] === i) && groups.length === s.length;
    return identity ? v : (reshapeTo(v, target) as OpInput);
  };
  const mx = merged(x.value, sx, groupsX);
  const my = merged(y.value, sy, groupsY);
  const product = (nb === 0 ? matmul(mx, my) : batchMatmul(mx, my)) as OpInput;
  // Split the merged free groups back into their axes.
  const sp = shapeOf(product);
  const target: TargetAxis[] = [...range(0, nb).map((i) => ({ from: i }) as TargetAxis)];
  const split = (group: string, axis: number, s: Shape, first: number) => {
    if (group.length === 1) target.push({ from: axis });
    else group.split('').forEach((_, i) => target.push(s[first + i] ?? -1));
  };
  if (nb === 0) freeA.split('').forEach((_, i) => target.push({ from: i }));
  else split(freeA, nb, sx, nb);
  split(freeB, nb === 0 ? freeA.length : nb + 1, sy, nb + contracted.length);
  const indices = batch + freeA + freeB;
  const identity = target.length === sp.length && target.every((t, i) => typeof t !== 'number' && t.from === i);
  if (target.filter((t) => t === -1).length > 1) {
    throw new ValueError(`${where()}einsum: cannot split the result back into its axes: more than one of them has an unknown length`);
  }
  return { value: identity ? product : (reshapeTo(product, target) as OpInput), indices };
}

/**
 * Einstein summation over one or more operands (Keras' `ops.einsum`): `'ij,jk->ik'` is a
 * matrix product, `'bqhd,bkhd->bhqk'` attention scores. Explicit indices (no ellipsis), no
 * index repeated within an operand.
 */
export function einsum<A extends OpInput>(subscripts: string, ...operands: A[]): OpResult<A> {
  const { inputs, output } = parse(subscripts, operands.length);
  inputs.forEach((s, i) => {
    const rank = shapeOf(operands[i]).length;
    if (rank !== s.length) throw new ValueError(`${where()}einsum: operand ${i} has rank ${rank} but the subscripts '${s}' name ${s.length} axes`);
  });
  const terms: Term[] = operands.map((value, i) => ({ value, indices: inputs[i] }));
  let current = terms[0];
  for (let i = 1; i < terms.length; i++) {
    // Keep what the result or a later operand still needs.
    const later =
      output +
      terms
        .slice(i + 1)
        .map((t) => t.indices)
        .join('');
    const keep = [...new Set(current.indices + terms[i].indices)].filter((c) => later.includes(c)).join('');
    current = contractPair(current, terms[i], keep);
  }
  return reduceAndOrder(current, output, output).value as OpResult<A>;
}
