// Finds a Python interpreter that has Keras, for the tests that check files with real Keras:
// $KILN_TEST_PYTHON, then benches/.venv/bin/python of this repository, then python3.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface PythonLookup {
  python?: string;
  /** Why none was found (for the skip message). */
  reason?: string;
}

export function findKerasPython(): PythonLookup {
  const venv = fileURLToPath(new URL('../../benches/.venv/bin/python', import.meta.url));
  const candidates = [process.env.KILN_TEST_PYTHON, existsSync(venv) ? venv : undefined, 'python3'].filter((c): c is string => !!c);
  const tried: string[] = [];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import keras, numpy'], { encoding: 'utf8', env: { ...process.env, KERAS_BACKEND: process.env.KERAS_BACKEND ?? 'numpy' } });
    if (probe.status === 0) return { python };
    tried.push(`${python} (${probe.error ? 'not found' : 'no keras/numpy'})`);
  }
  return { reason: `no Python with Keras found; tried ${tried.join(', ')}. Set KILN_TEST_PYTHON to an interpreter with keras and numpy` };
}
