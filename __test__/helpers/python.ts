// Finds a Python interpreter for the tests that check kiln's files with Python's own readers
// (Keras, TensorBoard): $KILN_TEST_PYTHON, then benches/.venv/bin/python, then python3.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const candidates = [process.env.KILN_TEST_PYTHON, fileURLToPath(new URL('../../benches/.venv/bin/python', import.meta.url)), 'python3'];

/** Keras needs a backend; numpy's is enough to load and predict when none is chosen. */
export const pythonEnv = { ...process.env, KERAS_BACKEND: process.env.KERAS_BACKEND ?? 'numpy' };

/** The first interpreter that imports every module in `modules`, or why none does. */
export function findPython(modules: string[]): { python: string } | { missing: string } {
  const tried: string[] = [];
  for (const python of candidates) {
    if (!python || (python.includes('/') && !existsSync(python))) continue;
    const probe = spawnSync(python, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8', env: pythonEnv });
    if (probe.status === 0) return { python };
    tried.push(`${python} (${probe.error ? 'not runnable' : `cannot import ${modules.join(', ')}`})`);
  }
  return { missing: `no Python with ${modules.join(', ')} found (tried ${tried.join('; ') || 'nothing'}); set KILN_TEST_PYTHON to an interpreter that has them (pip install ${modules.join(' ')})` };
}

export interface PythonLookup {
  python?: string;
  /** Why none was found (for the skip message). */
  reason?: string;
}

/** An interpreter with Keras and numpy. */
export function findKerasPython(): PythonLookup {
  const found = findPython(['keras', 'numpy']);
  return 'python' in found ? { python: found.python } : { reason: found.missing };
}

/** Runs `script` with `args`; returns its stdout, throwing with its stderr when it fails. */
export function runPython(python: string, script: string, args: string[]): string {
  const run = spawnSync(python, ['-c', script, ...args], { encoding: 'utf8', env: pythonEnv, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${python} failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}
