// The boundary between TypeScript and Rust: a malformed graph handed straight to the native
// module is a clear error naming the node, never a crash of Node; the lists and rules the
// TypeScript side needs come from kiln-core (loss kinds, broadcasting, window lengths).
import test from 'ava';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';
import { runChild } from './helpers/child_process.js';

const nativePath = join(process.cwd(), 'native.cjs');
const native = createRequire(import.meta.url)(nativePath);

/** x [null, 2] -> Dense(2) -> output, with node 2 (the matmul) replaced by `node` when given. */
function graph(node?: string, outputs = '[2]'): string {
  const nodes = ['{"op":"input","index":0,"shape":[null,2],"name":"x"}', '{"op":"variable","index":0,"name":"kernel"}', node ?? '{"op":"matmul","transpose_b":false,"inputs":[0,1],"name":"dense"}'];
  return `{"nodes":[${nodes.join(',')}],"outputs":${outputs}}`;
}

const MALFORMED: [string, string, RegExp][] = [
  ['an unknown op', graph('{"op":"no_such_op","inputs":[0]}'), /^ValueError: Invalid model description: .*unknown variant `no_such_op`/],
  ['a bad input index', graph('{"op":"matmul","transpose_b":false,"inputs":[0,7],"name":"dense"}'), /Graph node 2 \(dense\) reads node 7, the graph has 3 nodes/],
  ['a cycle', graph('{"op":"matmul","transpose_b":false,"inputs":[2,1],"name":"dense"}'), /Graph node 2 \(dense\) reads node 2, which does not come before it/],
  ['a wrong arity', graph('{"op":"matmul","transpose_b":false,"inputs":[0],"name":"dense"}'), /Graph node 2 \(dense\) needs 2 inputs, got 1/],
  ['an attribute of the wrong type', graph('{"op":"matmul","transpose_b":"no","inputs":[0,1]}'), /^ValueError: Invalid model description: .*invalid type/],
  ['a bad attribute value', graph('{"op":"transpose","perm":[0,0],"inputs":[0],"name":"t"}'), /^ValueError: t: \[0, 0\] is not a permutation of the 2 axes of \[1, 2\]$/],
  ['an output that is not a node', graph(undefined, '[5]'), /Graph output 5 is not a node: the graph has 3 nodes/],
  ['a model input declared twice', graph('{"op":"input","index":0,"shape":[null,2]}'), /model input 0 is declared twice/],
  ['an engine input without a batch axis', graph().replace('"shape":[null,2]', '"shape":[]'), /a model input needs a batch axis, got shape \[\]/],
  ['a variable that was not given', graph('{"op":"variable","index":3}'), /^ValueError: Graph reads variable 3, but only 1 were given$/],
];

test('malformed graphs handed to the native engine are clear errors naming the node', (t) => {
  const kernel = new native.NativeVariable(
    kiln.tensor([
      [0, 0],
      [0, 0],
    ]).handle,
  );
  for (const [what, json, message] of MALFORMED) {
    const spec = `{"graph":${json},"trainable":[true],"losses":[],"optimizer":null}`;
    const error = t.throws(() => new native.NativeEngine(spec, [kernel]), undefined, what) as (Error & { code?: string }) | undefined;
    // The kind crosses as the error's code; the patterns read "code: message".
    t.regex(`${error?.code}: ${error?.message}`, message, what);
    t.notRegex(error?.message ?? '', /internal error/, what);
  }
});

test('malformed graphs handed to valueAndGrad are clear errors, and Node keeps running', async (t) => {
  // In a child process: a crash would end it rather than ava's worker.
  const result = await runChild(
    `import { createRequire } from 'node:module';
const native = createRequire(import.meta.url)(${JSON.stringify(nativePath)});
const cases = ${JSON.stringify(MALFORMED.map(([what, json]) => [what, json]))};
const kernel = new native.NativeVariable(kiln.tensor([[0, 0], [0, 0]]).handle);
const x = kiln.tensor([[1, 1], [1, 1], [1, 1]]).handle;
for (const [what, json] of cases) {
  try { native.valueAndGrad(json, [kernel], [true], [x], false); console.log(what + ': no error'); }
  catch (e) { console.log(what + ': ' + e.code + ': ' + e.message); }
}
console.log('still running');`,
    60_000,
  );
  t.is(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  t.is(lines.length, MALFORMED.length + 1, result.stdout);
  t.is(lines.at(-1), 'still running');
  for (const [k, [what]] of MALFORMED.entries()) {
    t.regex(lines[k], new RegExp(`^${what}: (ValueError|ShapeError): `), lines[k]);
    t.notRegex(lines[k], /internal error/);
  }
});

test('the loss names TypeScript offers are exactly kiln-core loss kinds', (t) => {
  const names = Object.entries(kiln.losses)
    .filter(([key, value]) => typeof value === 'string' && key === value)
    .map(([, value]) => value);
  t.deepEqual([...names].sort(), [...native.lossKinds()].sort());
  for (const name of native.lossKinds()) t.true(kiln.losses.getLoss(name) instanceof kiln.losses.Loss, name);
});

test('shape rules come from kiln-core: broadcasting with unknown axes and window lengths', (t) => {
  t.deepEqual(native.broadcastShapes([null, 1, 3], [4, 1]), [null, 4, 3]);
  t.deepEqual(native.broadcastShapes([null, 2], [1, null]), [null, 2]);
  t.throws(() => native.broadcastShapes([null, 2], [3]), { code: 'ShapeError', message: 'Shapes [null, 2] and [3] cannot be broadcast together' });
  t.throws(() => kiln.ops.add(kiln.Input({ shape: [2] }), kiln.Input({ shape: [3] })), { instanceOf: kiln.ShapeError, message: /Shapes \[null, 2\] and \[null, 3\] cannot be broadcast together/ });
  t.is(native.windowOutput(7, 3, 2, 1, 'valid'), 3);
  t.is(native.windowOutput(7, 3, 2, 1, 'same'), 4);
  t.is(native.windowOutput(7, 3, 1, 3, 'valid'), 1);
  t.is(native.windowOutput(2, 3, 1, 1, 'valid'), null);
  t.throws(() => native.windowOutput(2, 0, 1, 1, 'valid'), { message: /window must be at least 1/ });
  t.deepEqual(new kiln.layers.Conv2D(1, 3, { strides: 2 }).apply(kiln.Input({ shape: [7, 9, 1] })).shape, [null, 3, 4, 1]);
});
