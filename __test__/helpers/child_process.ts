// Runs a snippet of JavaScript in a fresh Node process importing kiln-nn, so a test of
// something that could abort or hang the process fails instead of killing or blocking ava.
import { spawn } from 'node:child_process';

export interface ChildResult {
  /** Exit code, null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the timeout killed it. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** Runs `source` (an ES module; `kiln` is imported) with a wall-clock limit. */
export function runChild(source: string, timeoutMs: number, env: Record<string, string> = {}): Promise<ChildResult> {
  const program = `import * as kiln from 'kiln-nn';\n${source}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}
