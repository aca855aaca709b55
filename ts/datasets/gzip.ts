import { constants as bufferConstants } from 'node:buffer';
import { pipeline } from 'node:stream/promises';
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
    throw new FileFormatError(`${fileName} is not a valid gzip file (truncated or corrupted): ${(error as Error).message}`);
  }
}

/** Where gunzipInto puts the output: `open` once the total length is known, then each piece in order. */
export interface ByteSink {
  open(length: number): void;
  write(piece: Uint8Array): void;
}

/**
 * Gunzips in steps off the main thread, with a limit the data's own header sets: `limitOf`
 * sees the output so far and returns the total length it may reach once it can tell (undefined
 * until then, while at most `headerLimit` bytes are allowed). Output past the limit stops the
 * inflation at once, so a small bomb never grows beyond what its header declares. The output
 * goes to `sink` as it comes (held back only until the header gives its length); resolves to
 * its first `headerLimit` bytes and its length.
 */
export async function gunzipInto(
  bytes: Uint8Array | AsyncIterable<Uint8Array>,
  fileName: string,
  headerLimit: number,
  limitOf: (head: Uint8Array) => number | undefined,
  sink: ByteSink,
): Promise<{ head: Uint8Array; length: number }> {
  const held: Buffer[] = [];
  let length = 0;
  let limit: number | undefined;
  let head = new Uint8Array(0);
  const inflater = createGunzip({ chunkSize: 256 * 1024 });
  const feeding = bytes instanceof Uint8Array ? (inflater.end(bytes), Promise.resolve()) : pipeline(bytes, inflater).catch(() => {});
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      if (limit === undefined) {
        head = Buffer.concat([head, chunk.subarray(0, Math.max(0, headerLimit - head.length))]);
        limit = limitOf(head);
        if (limit === undefined && length + chunk.length > headerLimit) throw new FileFormatError(`${fileName}: no valid header in its first ${headerLimit} bytes`);
        if (limit !== undefined) sink.open(limit);
      }
      if (limit !== undefined && length + chunk.length > limit) {
        throw new FileFormatError(`${fileName} inflates to more than the ${limit} bytes its header declares (a gzip bomb?)`);
      }
      if (limit === undefined) {
        held.push(chunk);
      } else {
        for (const earlier of held.splice(0)) sink.write(earlier);
        sink.write(chunk);
      }
      length += chunk.length;
    }
  } catch (error) {
    if (error instanceof FileFormatError) throw error;
    throw new FileFormatError(`${fileName} is not a valid gzip file (truncated or corrupted): ${(error as Error).message}`);
  } finally {
    inflater.destroy();
    await feeding;
  }
  // Output too short to hold a header: open with what there is, for the caller's checks.
  if (limit === undefined) {
    sink.open(length);
    for (const earlier of held) sink.write(earlier);
  }
  return { head, length };
}

/** gunzipInto one buffer of the declared length: the whole output, held once. */
export async function gunzipLimited(bytes: Uint8Array, fileName: string, headerLimit: number, limitOf: (head: Uint8Array) => number | undefined): Promise<Uint8Array> {
  let output = Buffer.alloc(0);
  let filled = 0;
  const sink: ByteSink = {
    open: (length) => void (output = Buffer.allocUnsafe(length)),
    write: (piece) => {
      output.set(piece, filled);
      filled += piece.length;
    },
  };
  await gunzipInto(bytes, fileName, headerLimit, limitOf, sink);
  return output.subarray(0, filled);
}

/**
 * Inflates raw deflate data that must produce exactly `expectedLength` bytes; `what` names the
 * data in errors. Output is capped at `expectedLength`, so a lying header cannot make it balloon.
 */
export async function inflateRawExact(bytes: Uint8Array, expectedLength: number, what: string): Promise<Uint8Array> {
  if (expectedLength > maxInflatedLength(bytes.length)) {
    throw new FileFormatError(`${what} claims ${expectedLength} bytes once inflated, more than ${bytes.length} compressed bytes can hold`);
  }
  let output: Buffer;
  try {
    // One byte of headroom, so output longer than declared is detected rather than cut.
    output = await inflateRawAsync(bytes, { maxOutputLength: Math.min(expectedLength + 1, bufferConstants.MAX_LENGTH) });
  } catch (error) {
    throw new FileFormatError(`${what} has corrupt deflate data or more than the declared ${expectedLength} bytes: ${(error as Error).message}`);
  }
  if (output.length !== expectedLength) {
    throw new FileFormatError(`${what} inflates to ${output.length} bytes, but its header declares ${expectedLength}`);
  }
  return output;
}
