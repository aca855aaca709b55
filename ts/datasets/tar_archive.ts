import { list, type ReadEntry } from 'tar';
import { FileFormatError } from '../errors.js';

/**
 * Reads the regular files of a (gzipped or plain) tar archive whose path inside the archive
 * satisfies `wanted`, into memory, keyed by that path. The archive is streamed, so only the
 * wanted members are held. Damaged archives throw a FileFormatError naming the file.
 */
export async function readTarMembers(path: string, wanted: (name: string) => boolean): Promise<Map<string, Buffer>> {
  const members = new Map<string, Buffer>();
  let entries = 0;
  try {
    await list({
      file: path,
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        entries++;
        if (entry.type !== 'File' || !wanted(entry.path)) {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => members.set(entry.path, Buffer.concat(chunks)));
      },
    });
  } catch (error) {
    throw new FileFormatError(`${path} is not a valid tar.gz archive (truncated or corrupted): ${(error as Error).message}`);
  }
  if (entries === 0) throw new FileFormatError(`${path} is not a tar archive, or an empty one: no members were found`);
  return members;
}
