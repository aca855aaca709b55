// h5wasm reads and writes files by path, so HDF5 bytes held in memory (inside a .keras zip)
// pass through a private temporary file that is always removed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { H5Reader, H5Writer } from './h5_file.js';

async function withTemporaryPath<T>(use: (file: string) => Promise<T>): Promise<T> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-h5-'));
  try {
    return await use(path.join(directory, 'data.h5'));
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

/** Reads HDF5 `bytes` with `read`; `what` names them in errors. */
export function readH5Bytes<T>(bytes: Uint8Array, what: string, read: (reader: H5Reader) => T): Promise<T> {
  return withTemporaryPath(async (file) => {
    fs.writeFileSync(file, bytes);
    const reader = await H5Reader.open(file, what);
    try {
      return read(reader);
    } finally {
      reader.close();
    }
  });
}

/** The bytes of an HDF5 file filled by `write`. */
export function writeH5Bytes(write: (writer: H5Writer) => void): Promise<Uint8Array> {
  return withTemporaryPath(async (file) => {
    const writer = await H5Writer.create(file);
    try {
      write(writer);
    } finally {
      writer.close();
    }
    return fs.readFileSync(file);
  });
}
