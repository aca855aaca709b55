// Errors a user can act on, and nothing else: a panic caught inside the native engine becomes a
// RuntimeError carrying its message, without a backtrace on stderr; a custom layer's build()
// failing is wrapped like its call(); depth is limited by memory, not the stack (ONNX export of
// 1,000 layers), and absurd nesting is a clear error (kiln.tensor) or a 400 (kiln.serving).
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';
import { runChild } from './helpers/child_process.js';

const directory = mkdtempSync(join(tmpdir(), 'kiln-errors-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

test('a caught internal panic becomes a RuntimeError with its message and place, and prints nothing to stderr', async (t) => {
  const native = join(process.cwd(), 'native.cjs');
  const result = await runChild(
    `import { createRequire } from 'node:module';
const native = createRequire(import.meta.url)(${JSON.stringify(native)});
for (let i = 0; i < 3; i++) { try { native.provokeInternalError('boom ' + i); console.log('no error'); } catch (e) { console.log(e.code + ': ' + e.message); } }
// The engine still works afterwards.
console.log(Array.from(kiln.ops.add(kiln.tensor([1, 2]), kiln.tensor([3, 4])).dataSync()).join(','));`,
    60_000,
    { RUST_BACKTRACE: '1' },
  );
  t.is(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  t.deepEqual(
    lines.slice(0, 3).map((line) => line.replace(/\(at [^)]+\)/, '(at …)')),
    [0, 1, 2].map((i) => `RuntimeError: internal error in kiln-nn's engine: boom ${i} (at …)`),
  );
  t.regex(lines[0], /\(at crates\/kiln-node\/src\/error\.rs:\d+\)$/);
  t.is(lines[3], '4,6');
  t.is(result.stderr, '', 'nothing printed: no panic message, no backtrace');
});

class BrokenBuild extends kiln.layers.Layer {
  override build(): void {
    (undefined as unknown as { shape: number[] }).shape;
  }
  override call(x: kiln.Tensor): kiln.Tensor {
    return x;
  }
}

test("a custom layer's build() failing is a ValueError naming the layer, like call()", (t) => {
  const layer = new BrokenBuild({ name: 'broken_build' });
  t.throws(() => layer.apply(kiln.tensor([[1, 2]])), {
    instanceOf: kiln.ValueError,
    message: /^Layer "broken_build" \(BrokenBuild\) failed in build\(\): Cannot read properties of undefined \(reading 'shape'\)$/,
  });
  t.throws(() => layer.apply(kiln.Input({ shape: [2] })), { instanceOf: kiln.ValueError, message: /^Layer "broken_build" \(BrokenBuild\) failed in build\(\)/ });
});

test('exportOnnx of a 1,000-layer model works and holds every layer', async (t) => {
  const input = kiln.Input({ shape: [4] });
  let x: kiln.SymbolicTensor = input;
  for (let i = 0; i < 1000; i++) x = new kiln.layers.Dense(4).apply(x) as kiln.SymbolicTensor;
  const model = new kiln.Model({ inputs: input, outputs: x });
  const file = join(directory, 'deep.onnx');
  await model.exportOnnx(file);
  const bytes = readFileSync(file);
  let matmuls = 0;
  for (let at = bytes.indexOf('MatMul'); at >= 0; at = bytes.indexOf('MatMul', at + 1)) matmuls++;
  // Each Dense is a MatMul node: its op type and its name carry the word.
  t.true(matmuls >= 1000, `${matmuls} MatMul mentions`);
});

test('kiln.tensor of a 200,000-deep array is a ShapeError, not a stack overflow', (t) => {
  let deep: unknown = [1];
  for (let i = 0; i < 200_000; i++) deep = [deep];
  t.throws(() => kiln.tensor(deep as kiln.NestedArray), { instanceOf: kiln.ShapeError, message: /arrays nested more than 64 deep/ });
});

test('kiln.serving answers a 100,000-deep array with 400, not 500', async (t) => {
  kiln.setSeed(3);
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  const { url, close } = await kiln.serving.startServer(kiln.serving.kilnPredictor(model), { port: 0 });
  try {
    const body = `{"instances": ${'['.repeat(100_000)}1${']'.repeat(100_000)}}`;
    const reply = await fetch(`${url}/v1/models/default:predict`, { method: 'POST', body });
    t.is(reply.status, 400);
    const text = await reply.text();
    t.regex(text, /nests deeper than \d+ levels/);
    t.true(text.length < 300, `the answer has ${text.length} characters`);
    const ok = await fetch(`${url}/v1/models/default:predict`, { method: 'POST', body: JSON.stringify({ instances: [[1, 2, 3]] }) });
    t.is(ok.status, 200);
  } finally {
    await close();
  }
});
