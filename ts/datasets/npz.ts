import * as zlib from 'node:zlib';
import { FileFormatError } from '../errors.js';
import { inflateRawExact } from './gzip.js';
import { readBytes } from './idx.js';
import { parseNpy, type NpyArray } from './npy.js';

/** One member of a zip archive, as its central directory describes it. */
interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const ZIP64_EXTRA_FIELD = 0x0001;
const STORED = 0;
const DEFLATED = 8;

/**
 * numpy's savez_compressed shrinks real arrays a few times (Keras' mnist.npz: 5x); an archive
 * whose arrays declare more than this many times its size is refused as a zip bomb.
 */
export const MAX_NPZ_RATIO = 100;

/**
 * Parses the bytes of an `.npz` archive (what numpy.savez and savez_compressed write: a zip of
 * `.npy` arrays, stored or deflated) into its arrays, keyed by name without the `.npy` suffix.
 * `fileName` names the file in errors.
 */
export async function parseNpz(bytes: Uint8Array, fileName: string): Promise<Map<string, NpyArray>> {
  const arrays = new Map<string, NpyArray>();
  const entries = readCentralDirectory(bytes, fileName);
  // Checked for all members before any is inflated: a bomb is refused at once.
  const members = entries.filter((e) => e.name.endsWith('.npy'));
  const declared = members.reduce((total, e) => total + e.uncompressedSize, 0);
  if (declared > bytes.length * MAX_NPZ_RATIO + 1024) {
    const largest = members.reduce((a, b) => (b.uncompressedSize > a.uncompressedSize ? b : a));
    throw new FileFormatError(
      `${fileName} is not a valid .npz (zip) file: its arrays declare ${declared} bytes (${largest.name}: ${largest.uncompressedSize}), more than ${MAX_NPZ_RATIO} times its ${bytes.length} bytes (a zip bomb?)`,
    );
  }
  for (const entry of entries) {
    if (!entry.name.endsWith('.npy')) continue; // numpy ignores other members too
    const memberName = `${fileName}: ${entry.name}`;
    const member = await readMember(bytes, entry, memberName);
    arrays.set(entry.name.slice(0, -'.npy'.length), parseNpy(member, memberName));
  }
  return arrays;
}

/** Reads an `.npz` archive from disk. */
export async function readNpz(path: string): Promise<Map<string, NpyArray>> {
  return parseNpz(await readBytes(path), path);
}

/** True when the bytes start like a zip archive ("PK\x03\x04", or "PK\x05\x06" when empty). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

function readCentralDirectory(bytes: Uint8Array, fileName: string): ZipEntry[] {
  const fail = (what: string) => new FileFormatError(`${fileName} is not a valid .npz (zip) file: ${what}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  // The end record is the last 22 bytes plus a comment of at most 65535 bytes.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw fail('no end-of-central-directory record (the file is truncated or not a zip)');

  let entryCount = view.getUint16(end + 10, true);
  let directorySize = view.getUint32(end + 12, true);
  let directoryOffset = view.getUint32(end + 16, true);
  if (view.getUint16(end + 4, true) !== 0 || view.getUint16(end + 6, true) !== 0) {
    throw fail('multi-disk archives are not supported');
  }
  if (entryCount === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_END_LOCATOR) {
      throw fail('the end record points to a zip64 record that is missing');
    }
    const zip64End = toOffset(view.getBigUint64(locator + 8, true), bytes.length - 56, 'zip64 end record offset', fail);
    if (view.getUint32(zip64End, true) !== ZIP64_END_OF_CENTRAL_DIRECTORY) throw fail('the zip64 end record is corrupt');
    entryCount = toOffset(view.getBigUint64(zip64End + 32, true), bytes.length, 'entry count', fail);
    directorySize = toOffset(view.getBigUint64(zip64End + 40, true), bytes.length, 'central directory size', fail);
    directoryOffset = toOffset(view.getBigUint64(zip64End + 48, true), bytes.length, 'central directory offset', fail);
  }
  if (directoryOffset + directorySize > bytes.length || entryCount * 46 > directorySize) {
    throw fail(`its central directory (${entryCount} entries, ${directorySize} bytes at offset ${directoryOffset}) does not fit in the file`);
  }

  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  const directoryEnd = directoryOffset + directorySize;
  for (let index = 0; index < entryCount; index++) {
    if (at + 46 > directoryEnd || view.getUint32(at, true) !== CENTRAL_DIRECTORY_HEADER) {
      throw fail(`central directory entry ${index} is corrupt`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > directoryEnd) throw fail(`central directory entry ${index} runs past the directory`);
    const entry: ZipEntry = {
      name: new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      uncompressedSize: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    applyZip64Extra(view, at + 46 + nameLength, extraLength, entry, bytes.length, fail);
    entries.push(entry);
    at = next;
  }
  return entries;
}

/** Sizes and offsets that overflow 32 bits live in the zip64 extra field, in this order. */
function applyZip64Extra(view: DataView, start: number, length: number, entry: ZipEntry, fileLength: number, fail: (what: string) => FileFormatError): void {
  const fields = ['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const;
  const wanted = fields.filter((field) => entry[field] === 0xffffffff);
  if (wanted.length === 0) return;
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA_FIELD) {
      if (size < wanted.length * 8 || at + 4 + size > start + length) throw fail(`the zip64 field of ${entry.name} is too short`);
      wanted.forEach((field, i) => {
        // An uncompressed size can honestly exceed the file; inflateRawExact bounds it.
        const limit = field === 'uncompressedSize' ? Number.MAX_SAFE_INTEGER : fileLength;
        entry[field] = toOffset(view.getBigUint64(at + 4 + 8 * i, true), limit, `${field} of ${entry.name}`, fail);
      });
      return;
    }
    at += 4 + size;
  }
  throw fail(`${entry.name} needs a zip64 field and has none`);
}

async function readMember(bytes: Uint8Array, entry: ZipEntry, memberName: string): Promise<Uint8Array> {
  const fail = (what: string) => new FileFormatError(`${memberName}: ${what}`);
  if (entry.flags & 0x1) throw fail('encrypted members are not supported');
  if (entry.method !== STORED && entry.method !== DEFLATED) {
    throw fail(`compression method ${entry.method} is not supported (stored and deflated are)`);
  }
  const header = entry.localHeaderOffset;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (header + 30 > bytes.length || view.getUint32(header, true) !== LOCAL_FILE_HEADER) {
    throw fail(`no local file header at offset ${header} (the file is truncated or corrupt)`);
  }
  // The local header's extra field may differ in length from the central directory's.
  const dataStart = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > bytes.length) {
    throw fail(`its ${entry.compressedSize} bytes of data run past the end of the file (truncated)`);
  }
  const compressed = bytes.subarray(dataStart, dataEnd);
  let data: Uint8Array;
  if (entry.method === STORED) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw fail(`a stored member declares ${entry.compressedSize} stored but ${entry.uncompressedSize} uncompressed bytes`);
    }
    data = compressed;
  } else {
    data = await inflateRawExact(compressed, entry.uncompressedSize, memberName);
  }
  if (crc32(data) !== entry.crc32) throw fail('CRC-32 mismatch: the data is corrupted');
  return data;
}

/** zlib.crc32 arrived in Node 20.15; older runtimes get the same sum from a table. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
let crcTable: Uint32Array | undefined;
function crc32(data: Uint8Array): number {
  if (nativeCrc32) return nativeCrc32(data) >>> 0;
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function toOffset(value: bigint, limit: number, what: string, fail: (what: string) => FileFormatError): number {
  if (value > BigInt(limit)) throw fail(`its ${what} (${value}) is larger than the file allows`);
  return Number(value);
}
