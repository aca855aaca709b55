// h5wasm writes files by path, so the HDF5 bytes of a .keras file's model.weights.h5 pass
// through a private temporary file that is always removed (reading them happens in the load
// worker, see load_worker.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { H5Writer } from './h5_file.js';
import { sweepStaleTemporaryDirectories, temporaryDirectory } from './temporary_directory.js';

/** The bytes of an HDF5 file filled by `write`. */
export async function writeH5Bytes(write: (writer: H5Writer) => void): Promise<Uint8Array> {
  sweepStaleTemporaryDirectories();
  const directory = temporaryDirectory('writing model.weights.h5');
  try {
    const writer = await H5Writer.create(path.join(directory, 'data.h5'));
    try {
      write(writer);
    } finally {
      writer.close();
    }
    return fs.readFileSync(path.join(directory, 'data.h5'));
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
