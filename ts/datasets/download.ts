import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FileFormatError } from '../errors.js';
import { gunzipBounded } from './gzip.js';

/** A file a dataset downloads, and how to tell the download is the right one. */
export interface RemoteFile {
  /** The file name, both in the remote folder and in the cache. */
  name: string;
  /** SHA-256 (hex) of the file, or of its gunzipped content when `checksumOf` is 'gunzipped'. */
  sha256: string;
  /**
   * 'gunzipped' hashes the content rather than the archive, so a recompressed but identical copy
   * (as Debian ships) has the same checksum.
   */
  checksumOf: 'file' | 'gunzipped';
  /** A download larger than this is cut off: the canonical file is smaller. */
  maxBytes: number;
}

/** How long to wait for the server to answer, and for each chunk after that. */
function timeoutMs(): number {
  const fromEnv = Number(process.env.KILN_DATASETS_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 10_000;
}

/**
 * Downloads `url` to `destination`, checking its SHA-256. The bytes go to a temporary file beside
 * the destination that is renamed only once verified, so the cache never holds a partial or wrong
 * file; a mismatching download is deleted and reported as a FileFormatError.
 */
export async function downloadFile(url: string, destination: string, file: RemoteFile): Promise<void> {
  await mkdir(dirname(destination), { recursive: true });
  const partial = `${destination}.${randomBytes(6).toString('hex')}.part`;
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), timeoutMs());
  const hash = createHash('sha256');
  try {
    process.stderr.write(`Downloading data from ${url}\n`);
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status} ${response.statusText}`);
    }
    const body = response.body as AsyncIterable<Uint8Array>;
    let received = 0;
    await pipeline(async function* () {
      for await (const chunk of body) {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(), timeoutMs());
        received += chunk.length;
        if (received > file.maxBytes) throw new Error(`the server sent more than ${file.maxBytes} bytes`);
        hash.update(chunk);
        yield chunk;
      }
    }, createWriteStream(partial));
  } catch (error) {
    await rm(partial, { force: true });
    const reason = controller.signal.aborted ? `no answer within ${timeoutMs()} ms` : describe(error);
    throw new Error(`${url}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }

  const actual = file.checksumOf === 'file'
    ? hash.digest('hex')
    : createHash('sha256').update(await gunzipOrEmpty(partial)).digest('hex');
  if (actual !== file.sha256) {
    await rm(partial, { force: true });
    throw new FileFormatError(
      `the download of ${url} is not the expected file: its SHA-256${file.checksumOf === 'gunzipped' ? ' (gunzipped)' : ''} ` +
      `is ${actual}, expected ${file.sha256}. The downloaded file was deleted.`,
    );
  }
  await rename(partial, destination);
}

async function gunzipOrEmpty(path: string): Promise<Uint8Array> {
  try {
    return await gunzipBounded(await readFile(path), path);
  } catch {
    return new Uint8Array(0); // not gzip at all: the checksum comparison reports it
  }
}

/** fetch hides the network error in `cause`; show it. */
function describe(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause;
  if (cause && (cause.code || cause.message)) return [cause.code, cause.message].filter(Boolean).join(' ');
  return err.message;
}
