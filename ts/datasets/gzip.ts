import { constants as bufferConstants } from 'node:buffer';
import { promisify } from 'node:util';
import { createGunzip, gunzip, inflateRaw, type ZlibOptions } from 'node:zlib';
import { FileFormatError } from '../errors.js';

const gunzipAsync = promisify<Uint8Array, ZlibOptions, Buffer>(gunzip);
const inflateRawAsync = promisify<Uint8Array, ZlibOptions, Buffer>(inflateRaw);

/** Deflate cannot expand data by more than about 1032:1, so more output than this is a lie. */
const MAX_DEFLATE_RATIO = 1032;

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The most output `compressedLength` bytes of deflate data can honestly produce. */
export function maxInflatedLength(compressedLength: number): number {
  return Math.min(compressedLength * MAX_DEFLATE_RATIO + 1024, bufferConstants.MAX_LENGTH);
}

/** Gunzips off the main thread, refusing output the input size cannot justify. */
export async function gunzipBounded(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  try {
    return await gunzipAsync(bytes, { maxOutputLength: maxInflatedLength(bytes.length) });
  } catch (error) {
    throw new FileFormatError(
      `${fileName} is not a valid gzip file (truncated or corrupted): ${(error as Error).message}`,
    );
  }
}

/**
 * Gunzips in steps off the main thread, with a limit the data's own header sets: `limitOf`
 * sees the output so far and returns the total length it may reach once it can tell (undefined
 * until then, while at most `headerLimit` bytes are allowed). Output past the limit stops the
 * inflation at once, so a small bomb never grows beyond what its header declares.
 */
export async function gunzipLimited(
  bytes: Uint8Array,
  fileName: string,
  headerLimit: number,
  limitOf: (head: Uint8Array) => number | undefined,
): Promise<Uint8Array> {
  // Chunks are kept until the header gives the total length; from then on they are copied
  // into one buffer of that length as they come, so the output is never held twice.
  const chunks: Buffer[] = [];
  let output: Buffer | undefined;
  let length = 0;
  let limit: number | undefined;
  let head = new Uint8Array(0);
  const inflater = createGunzip();
  inflater.end(bytes);
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      if (limit === undefined) {
        head = Buffer.concat([head, chunk.subarray(0, Math.max(0, headerLimit - head.length))]);
        limit = limitOf(head);
        if (limit === undefined && length + chunk.length > headerLimit) throw new FileFormatError(`${fileName}: no valid header in its first ${headerLimit} bytes`);
      }
      if (limit !== undefined && length + chunk.length > limit) {
        throw new FileFormatError(`${fileName} inflates to more than the ${limit} bytes its header declares (a gzip bomb?)`);
      }
      if (limit !== undefined && output === undefined) {
        output = Buffer.allocUnsafe(limit);
        let offset = 0;
        for (const earlier of chunks.splice(0)) {
          output.set(earlier, offset);
          offset += earlier.length;
        }
      }
      if (output) output.set(chunk, length);
      else chunks.push(chunk);
      length += chunk.length;
    }
  } catch (error) {
    if (error instanceof FileFormatError) throw error;
    throw new FileFormatError(`${fileName} is not a valid gzip file (truncated or corrupted): ${(error as Error).message}`);
  } finally {
    inflater.destroy();
  }
  return output ? output.subarray(0, length) : Buffer.concat(chunks, length);
}

/**
 * Inflates raw deflate data that must produce exactly `expectedLength` bytes; `what` names the
 * data in errors. Output is capped at `expectedLength`, so a lying header cannot make it balloon.
 */
export async function inflateRawExact(
  bytes: Uint8Array,
  expectedLength: number,
  what: string,
): Promise<Uint8Array> {
  if (expectedLength > maxInflatedLength(bytes.length)) {
    throw new FileFormatError(
      `${what} claims ${expectedLength} bytes once inflated, more than ${bytes.length} compressed bytes can hold`,
    );
  }
  let output: Buffer;
  try {
    // One byte of headroom, so output longer than declared is detected rather than cut.
    output = await inflateRawAsync(bytes, { maxOutputLength: Math.min(expectedLength + 1, bufferConstants.MAX_LENGTH) });
  } catch (error) {
    throw new FileFormatError(
      `${what} has corrupt deflate data or more than the declared ${expectedLength} bytes: ${(error as Error).message}`,
    );
  }
  if (output.length !== expectedLength) {
    throw new FileFormatError(
      `${what} inflates to ${output.length} bytes, but its header declares ${expectedLength}`,
    );
  }
  return output;
}
