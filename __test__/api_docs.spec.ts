// The API reference: scripts/api_docs.mjs builds it with TypeDoc from the doc comments and, with
// --strict, refuses public symbols without one in the folders named (all with a bare --strict).
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('npm run docs writes the reference, and --strict names undocumented public symbols', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kiln-api-docs-'));
  try {
    const [built, refused] = await Promise.allSettled([
      run(process.execPath, ['scripts/api_docs.mjs', '--strict', 'serving', '--out', out]),
      run(process.execPath, ['scripts/api_docs.mjs', '--strict', '--out', join(out, 'unused')]),
    ]);
    t.is(built.status, 'fulfilled', built.status === 'rejected' ? String(built.reason) : '');
    const servingPage = readFileSync(join(out, 'modules', 'serving.html'), 'utf8');
    t.regex(servingPage, /A saved model behind TensorFlow Serving/);
    t.regex(readFileSync(join(out, 'functions', 'serving.serve.html'), 'utf8'), /Loads the model saved at/);
    t.regex(readFileSync(join(out, 'interfaces', 'serving.ServeOptions.html'), 'utf8'), /Longest a request waits for others to fill its batch/);
    // Every folder strict: the symbols still undocumented elsewhere are listed by name.
    t.is(refused.status, 'rejected');
    const message = refused.status === 'rejected' ? String((refused.reason as { stderr: string }).stderr) : '';
    t.regex(message, /these public symbols need a doc comment:\n {2}\S+ \((Class|Interface|Function|TypeAlias|Variable|Enum|Method|Property|Accessor|Namespace), ts\//);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
