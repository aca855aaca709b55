// Temporary files and folders carry the id of the process that made them, so that those left by
// a process that was killed mid-save can be recognised and removed by the next save.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Whether process `pid` still runs (EPERM: it runs, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * Removes the entries of `directory` whose names match `pattern` (its first group is the
 * process id) and whose process no longer runs. Best effort: a sweep never fails a save.
 */
export function sweepStale(directory: string, pattern: RegExp): void {
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
    try {
      fs.rmSync(path.join(directory, name), { recursive: true, force: true });
    } catch {
      // Another process may be sweeping it at the same time.
    }
  }
}
