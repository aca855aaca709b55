// The private folders h5wasm's files pass through (it reads and writes by path). Their names
// carry the process id, so folders left by a killed process are swept by the next one, and a
// temporary directory that cannot be written is a FileFormatError naming it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileFormatError } from '../errors.js';
import { sweepStale } from './stale_files.js';

const PREFIX = 'kiln-h5-';
const STALE = /^kiln-h5-(\d+)-/;

/** A fresh private folder in the system's temporary directory; `purpose` says why, in errors. */
export function temporaryDirectory(purpose: string): string {
  const base = os.tmpdir();
  try {
    return fs.mkdtempSync(path.join(base, `${PREFIX}${process.pid}-`));
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw new FileFormatError(`Cannot create a temporary folder in ${base} (the system temporary directory; set TMPDIR to change it) for ${purpose}: ${code}: ${(error as Error).message}`);
  }
}

/** Removes the folders of processes that no longer run (killed mid-save or mid-load). */
export function sweepStaleTemporaryDirectories(): void {
  sweepStale(os.tmpdir(), STALE);
}
