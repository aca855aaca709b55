// KILN_NUM_THREADS must be a positive integer: anything else is refused with a ValueError when
// kiln-nn loads (in a child process, where the variable is set), never silently replaced.
import test from 'ava';
import { runChild } from './helpers/child_process.js';

const report = `console.log(JSON.stringify({ threads: 'loaded' }));`;

for (const bad of ['0', '-2', 'two', '2.5', '', ' 4', '1e3', '100000']) {
  test(`KILN_NUM_THREADS='${bad}' is refused at load with a ValueError naming it`, async (t) => {
    const result = await runChild(report, 60_000, { KILN_NUM_THREADS: bad });
    t.false(result.timedOut);
    t.not(result.code, 0, 'the import failed');
    t.regex(result.stderr, /ValueError: KILN_NUM_THREADS must be a positive integer no larger than 1024 \(the number of threads kiln's kernels use\)/);
    t.true(result.stderr.includes(`got '${bad}'`), result.stderr.slice(-800));
    t.notRegex(result.stderr, /panicked/);
  });
}

test('a positive KILN_NUM_THREADS is accepted: kiln-nn loads and predicts', async (t) => {
  const result = await runChild(
    `const m = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]); console.log(JSON.stringify(Array.from((await m.predict(kiln.tensor([[1, 2, 3]]))).shape)));`,
    60_000,
    { KILN_NUM_THREADS: '1' },
  );
  t.is(result.code, 0, result.stderr.slice(-800));
  t.is(result.stdout.trim(), '[1,2]');
});
