// Writes a file so that readers see the old file or the whole new one, never a partial one:
// a temporary file in the same directory (same filesystem), renamed into place.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileFormatError } from '../errors.js';

export async function writeFileAtomic(path: string, data: Uint8Array, what = 'file'): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new FileFormatError(`Cannot write the ${what}: expected a file path, got ${JSON.stringify(path)}`);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temporary, data);
    await fs.rename(temporary, path);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw new FileFormatError(`Cannot write the ${what} '${path}': ${(error as Error).message}`);
  }
}
