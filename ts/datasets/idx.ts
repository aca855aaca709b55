import { readFile } from 'node:fs/promises';
import { FileFormatError } from '../errors.js';
import { gunzipLimited, isGzip } from './gzip.js';

/** An array read from an IDX file (the format of LeCun's MNIST files), in C order. */
export interface IdxArray {
  data: Uint8Array;
  shape: number[];
}

const IDX_TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/**
 * Gzip shrinks real image and label data a few times (MNIST: 5x); a gzipped IDX file declaring
 * more than this many times its size is refused before it is inflated.
 */
export const MAX_IDX_GZIP_RATIO = 100;

/** The length an IDX file's header declares (header included), once its first bytes say it; undefined until then. */
function declaredIdxLength(head: Uint8Array): number | undefined {
  if (head.length < 4) return undefined;
  const headerLength = 4 + 4 * head[3];
  if (head.length < headerLength) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let size = 1;
  for (let axis = 0; axis < head[3]; axis++) size *= view.getUint32(4 + 4 * axis, false);
  return headerLength + size;
}

/** Gunzips an IDX file, never past the length its header declares nor MAX_IDX_GZIP_RATIO times its size. */
async function gunzipIdx(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  return gunzipLimited(bytes, fileName, 4 + 4 * 255, (head) => {
    const declared = declaredIdxLength(head);
    if (declared !== undefined && declared > bytes.length * MAX_IDX_GZIP_RATIO + 1024) {
      throw new FileFormatError(
        `${fileName} is not a valid IDX file: its header declares ${declared} bytes, more than ${MAX_IDX_GZIP_RATIO} times its ${bytes.length} gzipped bytes (a gzip bomb?)`,
      );
    }
    return declared;
  });
}

/**
 * Parses the bytes of an IDX file (gzipped or not). `fileName` only names the file in errors.
 * Only unsigned-byte IDX files are read: that is what MNIST and Fashion-MNIST ship.
 */
export async function parseIdx(bytes: Uint8Array, fileName: string): Promise<IdxArray> {
  const raw = isGzip(bytes) ? await gunzipIdx(bytes, fileName) : bytes;
  const fail = (what: string) =>
    new FileFormatError(`${fileName} is not a valid IDX file: ${what}`);

  if (raw.length < 4) throw fail(`it is ${raw.length} bytes long, shorter than the 4-byte magic number`);
  if (raw[0] !== 0 || raw[1] !== 0) {
    throw fail(`the magic number must start with two zero bytes, got 0x${hex(raw[0])} 0x${hex(raw[1])}`);
  }
  const typeCode = raw[2];
  if (typeCode !== 0x08) {
    const known = IDX_TYPE_NAMES[typeCode];
    throw fail(
      known
        ? `element type 0x${hex(typeCode)} (${known}) is not supported; only unsigned byte (0x08) is`
        : `unknown element type 0x${hex(typeCode)}`,
    );
  }
  const rank = raw[3];
  if (rank === 0) throw fail('it declares zero dimensions');
  const headerLength = 4 + 4 * rank;
  if (raw.length < headerLength) {
    throw fail(`it is truncated: the header of a rank-${rank} array needs ${headerLength} bytes, the file has ${raw.length}`);
  }

  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape: number[] = [];
  let size = 1;
  for (let axis = 0; axis < rank; axis++) {
    const dim = view.getUint32(4 + 4 * axis, false);
    shape.push(dim);
    size *= dim;
  }
  const dataLength = raw.length - headerLength;
  if (size !== dataLength) {
    throw fail(
      size > dataLength
        ? `it is truncated: shape [${shape.join(', ')}] needs ${size} bytes of data, the file has ${dataLength}`
        : `shape [${shape.join(', ')}] needs ${size} bytes of data, but the file has ${dataLength - size} bytes more`,
    );
  }
  // A view past the header, not a copy: the tensor made from it copies the data into native memory.
  return { data: raw.subarray(headerLength), shape };
}

/** Reads an IDX file (gzipped or not) from disk. */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(await readBytes(path), path);
}

/** Reads a whole file; a missing or unreadable file is a FileFormatError naming it. */
export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new FileFormatError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
