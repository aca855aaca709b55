// Errors a user can act on, and nothing else: a panic caught inside the native engine becomes a
// RuntimeError carrying its message, without a backtrace on stderr.
import test from 'ava';
import { join } from 'node:path';
import { runChild } from './helpers/child_process.js';

test('a caught internal panic becomes a RuntimeError with its message and place, and prints nothing to stderr', async (t) => {
  const native = join(process.cwd(), 'native.cjs');
  const result = await runChild(
    `import { createRequire } from 'node:module';
const native = createRequire(import.meta.url)(${JSON.stringify(native)});
for (let i = 0; i < 3; i++) { try { native.provokeInternalError('boom ' + i); console.log('no error'); } catch (e) { console.log(e.message); } }
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
