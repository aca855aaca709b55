import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { NativeByteBuilder } from '../../native.cjs';
import { FileFormatError } from '../errors.js';
import { callNative, native } from '../native.js';
import { Tensor, tensor } from '../tensor.js';
import { type ByteSink, gunzipInto, gunzipLimited, isGzip } from './gzip.js';

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

/** The limit gunzip keeps to for an IDX file of `compressedLength` gzipped bytes: its header's length, never more than MAX_IDX_GZIP_RATIO times its size. */
function idxLimit(compressedLength: number, fileName: string): (head: Uint8Array) => number | undefined {
  return (head) => {
    const declared = declaredIdxLength(head);
    if (declared !== undefined && declared > compressedLength * MAX_IDX_GZIP_RATIO + 1024) {
      throw new FileFormatError(
        `${fileName} is not a valid IDX file: its header declares ${declared} bytes, more than ${MAX_IDX_GZIP_RATIO} times its ${compressedLength} gzipped bytes (a gzip bomb?)`,
      );
    }
    return declared;
  };
}

/** The longest IDX header: the magic number and 255 dimensions. */
const MAX_HEADER = 4 + 4 * 255;

/**
 * Checks an IDX file from its first bytes (`raw`, up to MAX_HEADER) and its whole length;
 * returns its shape and where its data begins.
 */
function idxLayout(raw: Uint8Array, length: number, fileName: string): { shape: number[]; headerLength: number } {
  const fail = (what: string) => new FileFormatError(`${fileName} is not a valid IDX file: ${what}`);

  if (length < 4) throw fail(`it is ${length} bytes long, shorter than the 4-byte magic number`);
  if (raw[0] !== 0 || raw[1] !== 0) {
    throw fail(`the magic number must start with two zero bytes, got 0x${hex(raw[0])} 0x${hex(raw[1])}`);
  }
  const typeCode = raw[2];
  if (typeCode !== 0x08) {
    const known = IDX_TYPE_NAMES[typeCode];
    throw fail(known ? `element type 0x${hex(typeCode)} (${known}) is not supported; only unsigned byte (0x08) is` : `unknown element type 0x${hex(typeCode)}`);
  }
  const rank = raw[3];
  if (rank === 0) throw fail('it declares zero dimensions');
  const headerLength = 4 + 4 * rank;
  if (length < headerLength) {
    throw fail(`it is truncated: the header of a rank-${rank} array needs ${headerLength} bytes, the file has ${length}`);
  }

  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape: number[] = [];
  let size = 1;
  for (let axis = 0; axis < rank; axis++) {
    const dim = view.getUint32(4 + 4 * axis, false);
    shape.push(dim);
    size *= dim;
  }
  const dataLength = length - headerLength;
  if (size !== dataLength) {
    throw fail(
      size > dataLength
        ? `it is truncated: shape [${shape.join(', ')}] needs ${size} bytes of data, the file has ${dataLength}`
        : `shape [${shape.join(', ')}] needs ${size} bytes of data, but the file has ${dataLength - size} bytes more`,
    );
  }
  return { shape, headerLength };
}

/**
 * Parses the bytes of an IDX file (gzipped or not). `fileName` only names the file in errors.
 * Only unsigned-byte IDX files are read: that is what MNIST and Fashion-MNIST ship.
 */
export async function parseIdx(bytes: Uint8Array, fileName: string): Promise<IdxArray> {
  const raw = isGzip(bytes) ? await gunzipLimited(bytes, fileName, MAX_HEADER, idxLimit(bytes.length, fileName)) : bytes;
  const { shape, headerLength } = idxLayout(raw.subarray(0, MAX_HEADER), raw.length, fileName);
  // A view past the header, not a copy: the tensor made from it copies the data into native memory.
  return { data: raw.subarray(headerLength), shape };
}

/**
 * Reads an IDX file (gzipped or not) from disk into a uint8 tensor. A gzipped file is streamed
 * from disk and inflated straight into the tensor's native memory: its bytes are held once.
 */
export async function readIdxTensor(path: string): Promise<{ tensor: Tensor; shape: number[] }> {
  let size: number;
  const magic = new Uint8Array(2);
  try {
    const file = await open(path);
    try {
      size = (await file.stat()).size;
      await file.read(magic, 0, 2, 0);
    } finally {
      await file.close();
    }
  } catch (error) {
    throw new FileFormatError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (!isGzip(magic)) {
    const { data, shape } = await parseIdx(await readBytes(path), path);
    return { tensor: tensor(data, shape, 'uint8'), shape };
  }
  let builder: NativeByteBuilder | undefined;
  const sink: ByteSink = {
    open: (length) => void (builder = callNative(() => new native.NativeByteBuilder(length))),
    write: (piece) => builder!.write(piece),
  };
  const { head, length } = await gunzipInto(createReadStream(path), path, MAX_HEADER, idxLimit(size, path), sink);
  const { shape, headerLength } = idxLayout(head, length, path);
  return { tensor: new Tensor(callNative(() => builder!.finish(headerLength, shape))), shape };
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
