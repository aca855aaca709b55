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
  /**
   * The file's hash as Keras' `file_hash` gives it: SHA-256 (64 hex digits) or MD5 (32), of the
   * file, or of its gunzipped content when `checksumOf` is 'gunzipped'; '' where Keras gives
   * none (some application weights), so the file is not checked.
   */
  hash: string;
  /**
   * 'gunzipped' hashes the content rather than the archive, so a recompressed but identical copy
   * (as Debian ships) has the same checksum.
   */
  checksumOf: 'file' | 'gunzipped';
  /** A download larger than this is cut off: the canonical file is smaller. */
  maxBytes: number;
  /** Its canonical URL when it is not in Keras' dataset folder (KILN_DATASETS_BASE_URL still overrides). */
  origin?: string;
}

/** Keras picks the hash function from the hash's length. */
function hashAlgorithm(file: RemoteFile): { name: 'sha256' | 'md5'; label: string } {
  return file.hash.length === 32 ? { name: 'md5', label: 'MD5' } : { name: 'sha256', label: 'SHA-256' };
}

/** The checksum of the file at `path` as `file` defines it. */
async function checksumOf(path: string, file: RemoteFile): Promise<string> {
  const bytes = await readFile(path);
  const content = file.checksumOf === 'file' ? bytes : await gunzipOrEmpty(path);
  return createHash(hashAlgorithm(file).name).update(content).digest('hex');
}

/** Why `actual` is not `file`'s checksum, for messages. */
function mismatch(what: string, actual: string, file: RemoteFile): string {
  return `${what} is not the expected file: its ${hashAlgorithm(file).label}${file.checksumOf === 'gunzipped' ? ' (gunzipped)' : ''} ` + `is ${actual}, expected ${file.hash}`;
}

/**
 * Checks a cached copy against its checksum, as Keras' get_file does; a copy that does not match
 * is deleted (so it is downloaded again rather than used) and the reason returned.
 */
export async function verifyCachedFile(path: string, file: RemoteFile): Promise<string | undefined> {
  if (file.hash === '') return undefined;
  const actual = await checksumOf(path, file);
  if (actual === file.hash) return undefined;
  await rm(path, { force: true });
  return `${mismatch(`the cached ${path}`, actual, file)}; it was deleted`;
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
  const hash = createHash(hashAlgorithm(file).name);
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

  const actual = file.checksumOf === 'file' ? hash.digest('hex') : await checksumOf(partial, file);
  if (file.hash !== '' && actual !== file.hash) {
    await rm(partial, { force: true });
    throw new FileFormatError(`${mismatch(`the download of ${url}`, actual, file)}. The downloaded file was deleted.`);
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
