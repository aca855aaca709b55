// Every save goes to a temporary file beside the target, renamed into place once complete:
// a failed or interrupted save leaves the previous file as it was.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileFormatError } from '../errors.js';
import { sweepStale } from './stale_files.js';

/** A fresh temporary path in the same directory as `target` (so the rename stays atomic). */
export function temporaryPathBeside(target: string): string {
  const random = Math.random().toString(36).slice(2, 10);
  return path.join(path.dirname(path.resolve(target)), `.${path.basename(target)}.${process.pid}.${random}.tmp`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Checks before any work that `target` can be written (its directory exists, it is no directory). */
export function checkWritable(target: string): void {
  const directory = path.dirname(path.resolve(target));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(directory);
  } catch {
    throw new FileFormatError(`Cannot save to ${target}: the directory ${directory} does not exist`);
  }
  if (!stat.isDirectory()) throw new FileFormatError(`Cannot save to ${target}: ${directory} is not a directory`);
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) throw new FileFormatError(`Cannot save to ${target}: it is a directory`);
}

/**
 * Runs `write(temporaryPath)`, then renames the temporary file onto `target`. On any failure
 * the temporary file is removed and `target` is untouched.
 */
export async function writeAtomically(target: string, write: (temporaryPath: string) => void | Promise<void>): Promise<void> {
  checkWritable(target);
  // Temporary files of earlier saves to this target whose process was killed mid-save.
  sweepStale(path.dirname(path.resolve(target)), new RegExp(`^\\.${escapeRegExp(path.basename(target))}\\.(\\d+)\\.[a-z0-9]+\\.tmp$`));
  const temporary = temporaryPathBeside(target);
  try {
    await write(temporary);
    fs.renameSync(temporary, target);
  } catch (error) {
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // A name the file system refused was never created.
    }
    if (error instanceof Error && 'code' in error && !(error instanceof FileFormatError)) {
      throw new FileFormatError(`Cannot save to ${target}: ${error.message}`);
    }
    throw error;
  }
}
