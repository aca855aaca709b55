// Errors cross from Rust to TypeScript by their `code` (kiln-core's ErrorKind), never by parsing
// the message: each kind the engine raises arrives as its KilnError subclass carrying that code,
// with the message a user saw before ("ShapeError: ..." when printed), and an error from
// elsewhere whose message merely looks like a kiln one stays what it was.
import test from 'ava';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';
import { runChild } from './helpers/child_process.js';

const nativePath = join(process.cwd(), 'native.cjs');
// The same module object kiln-nn loaded, so a test can stand a function of it in for another.
const native = createRequire(import.meta.url)(nativePath);

type ErrorClass = typeof kiln.KilnError;

/** Asserts `error` is a `type` whose code is its class name and which prints as before. */
function assertKilnError(t: import('ava').ExecutionContext, error: unknown, type: ErrorClass, message: RegExp): void {
  t.true(error instanceof type, `expected ${type.name}, got ${String(error)}`);
  const e = error as kiln.KilnError;
  t.is(e.code, type.name);
  t.is(e.name, type.name);
  t.regex(e.message, message);
  t.notRegex(e.message, /^\w+Error: /, 'the message carries no class-name prefix of its own');
  t.is(String(e), `${type.name}: ${e.message}`);
}

test('every code the native engine uses names an exported KilnError class', (t) => {
  const codes: string[] = native.errorCodes();
  t.deepEqual([...codes].sort(), ['ResourceExhaustedError', 'RuntimeError', 'ShapeError', 'ValueError']);
  for (const code of codes) {
    const errorClass = (kiln as unknown as Record<string, ErrorClass>)[code];
    t.true(errorClass?.prototype instanceof kiln.KilnError, code);
    t.is(new errorClass('x').code, code);
  }
});

test('a ShapeError from kiln-core (reshape) arrives as kiln.ShapeError with its code', (t) => {
  const error = t.throws(() => kiln.tensor([1, 2]).reshape([3]));
  assertKilnError(t, error, kiln.ShapeError, /^Cannot reshape a tensor of shape \[2\] \(2 values\) to \[3\]$/);
});

test('a ValueError from kiln-core (non-finite targets) arrives as kiln.ValueError with its code', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const error = await t.throwsAsync(model.evaluate(kiln.tensor([[1, 2, 3]]), kiln.tensor([[Number.NaN, 2]]), { verbose: 0 }));
  assertKilnError(t, error, kiln.ValueError, /^Target \(y\) contains a non-finite value at sample 0$/);
});

// predict runs as a native async task: its error crosses on the task's completion, not a throw.
test('a ResourceExhaustedError from an async native task (predict) rejects as kiln.ResourceExhaustedError with its code', async (t) => {
  // In a child process, as reliability_memory does: a failed size check must not take ava down.
  const result = await runChild(
    `const model = new kiln.Sequential([new kiln.layers.UpSampling2D(1e6, { inputShape: [8, 8, 1] })]);
try { await model.predict(kiln.random.uniform([1, 8, 8, 1])); console.log('no error'); }
catch (e) { console.log(JSON.stringify({ isClass: e instanceof kiln.ResourceExhaustedError, code: e.code, message: e.message, printed: String(e) })); }`,
    60_000,
  );
  t.is(result.code, 0, result.stderr);
  const error = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}');
  t.true(error.isClass, result.stdout);
  t.is(error.code, 'ResourceExhaustedError');
  t.regex(error.message, /^up_sampling2d: needs about [\d.]+ [KMGT]iB of memory: out of memory$/);
  t.is(error.printed, `ResourceExhaustedError: ${error.message}`);
});

test.serial('a panic caught by the native guard arrives as kiln.RuntimeError with its code', (t) => {
  const original = native.randomUniform;
  // A native function that panics, standing in for one the public API calls.
  native.randomUniform = () => native.provokeInternalError('boom');
  try {
    const error = t.throws(() => kiln.random.uniform([2]));
    assertKilnError(t, error, kiln.RuntimeError, /^internal error in kiln-nn's engine: boom \(at .*error\.rs:\d+\)$/);
  } finally {
    native.randomUniform = original;
  }
});

test.serial('an error whose message merely starts with "ShapeError:" is not taken for a kiln error', (t) => {
  const original = native.randomUniform;
  const foreign = new Error('ShapeError: thrown by something that is not kiln');
  native.randomUniform = () => {
    throw foreign;
  };
  try {
    const error = t.throws(() => kiln.random.uniform([2]));
    t.is(error, foreign, 'the error passes through unchanged');
    t.false(error instanceof kiln.KilnError);
  } finally {
    native.randomUniform = original;
  }
  t.true(kiln.random.uniform([2]) instanceof kiln.Tensor, 'the real function is back');
});

test('raw native errors carry the code and the bare message', (t) => {
  t.throws(() => native.broadcastShapes([null, 2], [3]), { code: 'ShapeError', message: 'Shapes [null, 2] and [3] cannot be broadcast together' });
  t.throws(() => native.provokeInternalError('raw'), { code: 'RuntimeError', message: /^internal error in kiln-nn's engine: raw / });
});
