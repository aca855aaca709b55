// Model files are read only when they are regular files: a symlink to /dev/zero or
// /dev/urandom would be read forever, and a FIFO would block the event loop forever.
import * as fs from 'node:fs';
import { FileFormatError } from '../errors.js';

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notReadable(file: string, error: unknown): FileFormatError {
  const code = (error as { code?: string }).code;
  return new FileFormatError(code === 'ENOENT' ? `No file or directory found at ${file}` : `Cannot read ${file}: ${(error as Error).message}`);
}

/** Throws a FileFormatError unless `file` (symlinks followed) is a regular file; returns its size. */
export function regularFileSize(file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw notReadable(file, error);
  }
  if (!stat.isFile()) throw new FileFormatError(`Cannot read ${file}: it is ${kindOf(stat)}, not a regular file`);
  return stat.size;
}

/**
 * Reads a whole regular file. It is opened without blocking and checked on the open
 * descriptor, so a file swapped for a FIFO or device after the check is refused as well,
 * and no more than the size it had when opened is read.
 */
export function readRegularFile(file: string): Buffer {
  regularFileSize(file);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    throw notReadable(file, error);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new FileFormatError(`Cannot read ${file}: it is ${kindOf(stat)}, not a regular file`);
    const bytes = Buffer.allocUnsafe(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = fs.readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return read === bytes.length ? bytes : bytes.subarray(0, read);
  } catch (error) {
    if (error instanceof FileFormatError) throw error;
    throw notReadable(file, error);
  } finally {
    fs.closeSync(fd);
  }
}
