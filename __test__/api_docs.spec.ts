// The API reference: scripts/api_docs.mjs builds it with TypeDoc from the doc comments and, with
// --strict, refuses public symbols without one: in the families its DOCUMENTED list names (npm
// run docs, which CI runs through this spec), or in all of them (`--strict all`).
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('npm run docs writes the reference, every public symbol documented', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kiln-api-docs-'));
  try {
    const script = JSON.parse(readFileSync('package.json', 'utf8')).scripts.docs as string;
    t.is(script, 'node scripts/api_docs.mjs --strict');
    const { stdout } = await run(process.execPath, ['scripts/api_docs.mjs', '--strict', '--out', out]);
    // Every family is documented: the whole public API is strict.
    t.regex(stdout, /^api_docs: 0 public symbols without a doc comment\n/);
    const servingPage = readFileSync(join(out, 'modules', 'serving.html'), 'utf8');
    t.regex(servingPage, /A saved model behind TensorFlow Serving/);
    t.regex(readFileSync(join(out, 'functions', 'serving.serve.html'), 'utf8'), /Loads the model saved at/);
    t.regex(readFileSync(join(out, 'interfaces', 'serving.ServeOptions.html'), 'utf8'), /Longest a request waits for others to fill its batch/);
    // Namespaces, classes, inherited methods and examples reach the pages.
    t.regex(readFileSync(join(out, 'modules', 'layers.html'), 'utf8'), /Layers, as Keras/);
    const sequential = readFileSync(join(out, 'classes', 'Sequential.html'), 'utf8');
    t.regex(sequential, /Configures the model for training/);
    t.regex(sequential, /id="example">Example/);
    t.regex(sequential, /sparse_categorical_crossentropy/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

// A throwaway program: the strict build must name each undocumented export (a member inherited
// from an unexported base class included) and pass once they are documented.
const PROBE = `/** A documented function. */
export function documented(): number {
  return 1;
}
class Base {
  inherited(): number {
    return 2;
  }
}
/** A documented class. */
export class Holder extends Base {
  /** A documented field. */
  kept = 1;
  bare = 2;
}
`;
const UNDOCUMENTED = 'export function undocumented(): number {\n  return 3;\n}\n';

test('--strict all fails on a public symbol without a doc comment, naming it, and passes without one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-api-docs-probe-'));
  try {
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: [] }, include: ['*.ts'] }),
    );
    const strict = (entry: string) =>
      run(process.execPath, ['scripts/api_docs.mjs', '--strict', 'all', '--entry', join(dir, entry), '--tsconfig', join(dir, 'tsconfig.json'), '--out', join(dir, 'out')]);

    writeFileSync(join(dir, 'bad.ts'), PROBE + UNDOCUMENTED);
    const refused = await strict('bad.ts').then(
      () => undefined,
      (error: { stderr: string; code: number }) => error,
    );
    t.truthy(refused, 'the strict build refused the undocumented exports');
    t.is(refused?.code, 1);
    const listed = (refused?.stderr ?? '')
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim().replace(/, .*\)$/, ')'))
      .sort();
    t.deepEqual(listed, ['Holder.bare (Property)', 'Holder.inherited (Method)', 'undocumented (Function)']);

    // Documented (and the base's member given a comment), the same program builds.
    writeFileSync(join(dir, 'good.ts'), PROBE.replace('  inherited()', '  /** A documented method. */\n  inherited()').replace('  bare = 2;', '  /** Another. */\n  bare = 2;'));
    const { stdout } = await strict('good.ts');
    t.regex(stdout, /api_docs: 0 public symbols without a doc comment/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
