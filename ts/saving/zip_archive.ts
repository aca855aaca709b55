// The zip container of `.keras` files. Reading parses the central directory itself, refuses
// entries whose names could escape a directory and sizes the archive does not justify, and
// inflates only the wanted entries, in small steps, stopping as soon as an entry yields more
// than it declared: a zip bomb costs at most its declared (and capped) size, never more.
import { Inflate, strFromU8, strToU8, type Zippable, zipSync } from 'fflate';
import { FileFormatError } from '../errors.js';

/** Deflate expands at most about 1032:1; a larger declared ratio is a lie. */
const MAX_DEFLATE_RATIO = 1100;
/**
 * Entries declaring more than this many times the archive's size, in all, are refused as a zip
 * bomb before anything is inflated: weights (float32) barely compress, and Keras stores them.
 */
const MAX_ARCHIVE_RATIO = 100;
/** Compressed bytes fed to the inflater per step: one step yields at most ~16 MB. */
const INFLATE_STEP = 16 * 1024;

/** Whether a zip entry name is a plain relative path (no `..`, no absolute or drive paths). */
function safeName(name: string): boolean {
  if (name.length === 0 || name.includes('\\') || name.includes('\0') || name.startsWith('/') || /^[A-Za-z]:/.test(name)) return false;
  return !name.split('/').some((part) => part === '..');
}

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const FULL32 = 0xffffffff;

class ZipView {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(offset: number, length: number): void {
    if (offset < 0 || offset + length > this.bytes.length) throw new FileFormatError(`${this.what} is not a valid zip archive (truncated or corrupted?): a record at byte ${offset} runs past the end`);
  }
  u16(offset: number): number {
    this.check(offset, 2);
    return this.view.getUint16(offset, true);
  }
  u32(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset, true);
  }
  u64(offset: number): number {
    this.check(offset, 8);
    const value = this.view.getBigUint64(offset, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new FileFormatError(`${this.what}: a zip64 field declares ${value}, beyond any real file`);
    return Number(value);
  }
  text(offset: number, length: number): string {
    this.check(offset, length);
    return strFromU8(this.bytes.subarray(offset, offset + length));
  }
}

/** The central directory's entries (zip64 included). */
function centralDirectory(zip: ZipView, what: string): ZipEntry[] {
  const bytes = zip.bytes;
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (zip.u32(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new FileFormatError(`${what} is not a valid zip archive (truncated or corrupted?): no end of central directory record`);
  let count = zip.u16(end + 10);
  let offset = zip.u32(end + 16);
  if ((offset === FULL32 || count === 0xffff) && end >= 20 && zip.u32(end - 20) === EOCD64_LOCATOR) {
    const record = zip.u64(end - 12);
    count = zip.u64(record + 32);
    offset = zip.u64(record + 48);
  }
  // Each central record takes at least 46 bytes: a larger count is a lie.
  if (count * 46 > bytes.length) throw new FileFormatError(`${what}: the zip directory declares ${count} entries, more than its ${bytes.length} bytes can hold`);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.u32(offset) !== CENTRAL) throw new FileFormatError(`${what} is not a valid zip archive (truncated or corrupted?): bad central directory record ${i}`);
    const nameLength = zip.u16(offset + 28);
    const extraLength = zip.u16(offset + 30);
    const entry: ZipEntry = {
      flags: zip.u16(offset + 8),
      method: zip.u16(offset + 10),
      compressedSize: zip.u32(offset + 20),
      size: zip.u32(offset + 24),
      localHeader: zip.u32(offset + 42),
      name: zip.text(offset + 46, nameLength),
    };
    // Zip64 sizes and offsets, in this order, for the fields saturated at 0xFFFFFFFF.
    for (let extra = offset + 46 + nameLength; extra + 4 <= offset + 46 + nameLength + extraLength; ) {
      const id = zip.u16(extra);
      const length = zip.u16(extra + 2);
      if (id === ZIP64_EXTRA) {
        let field = extra + 4;
        for (const key of ['size', 'compressedSize', 'localHeader'] as const) {
          if (entry[key] === FULL32) {
            entry[key] = zip.u64(field);
            field += 8;
          }
        }
      }
      extra += 4 + length;
    }
    entries.push(entry);
    offset += 46 + nameLength + extraLength + zip.u16(offset + 32);
  }
  return entries;
}

/** Why an entry cannot be read, before anything is inflated (undefined when it can). */
function entryProblem(entry: ZipEntry): string | undefined {
  if (!safeName(entry.name)) return `entry '${entry.name}' has an unsafe path`;
  if (entry.flags & 1) return `entry '${entry.name}' is encrypted`;
  if (entry.method !== 0 && entry.method !== 8) return `entry '${entry.name}' uses compression method ${entry.method} (only stored and deflated are supported)`;
  const most = entry.method === 0 ? entry.compressedSize : entry.compressedSize * MAX_DEFLATE_RATIO + 1024;
  if (entry.size > most) return `entry '${entry.name}' declares ${entry.size} bytes, more than its ${entry.compressedSize} stored bytes can hold`;
  return undefined;
}

/** An entry's data, inflated step by step and refused as soon as it yields more than it declared. */
function inflateEntry(zip: ZipView, entry: ZipEntry, what: string): Uint8Array {
  if (zip.u32(entry.localHeader) !== LOCAL) throw new FileFormatError(`${what} is not a valid zip archive (truncated or corrupted?): entry '${entry.name}' has no local header`);
  const start = entry.localHeader + 30 + zip.u16(entry.localHeader + 26) + zip.u16(entry.localHeader + 28);
  if (start + entry.compressedSize > zip.bytes.length) throw new FileFormatError(`${what} is not a valid zip archive (truncated?): entry '${entry.name}' runs past the end of the file`);
  const data = zip.bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (data.length !== entry.size) throw new FileFormatError(`${what}: stored entry '${entry.name}' has ${data.length} bytes where ${entry.size} were declared`);
    return new Uint8Array(data); // a copy: Buffer's slice would share the archive's memory
  }
  const out = new Uint8Array(entry.size);
  let written = 0;
  let overflow = false;
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    if (written + chunk.length > out.length) overflow = true;
    else out.set(chunk, written);
    written += chunk.length;
    if (final) finished = true;
  });
  try {
    for (let at = 0; at < data.length && !overflow && !finished; at += INFLATE_STEP) {
      const end = Math.min(at + INFLATE_STEP, data.length);
      inflater.push(data.subarray(at, end), end === data.length);
    }
  } catch (error) {
    throw new FileFormatError(`${what}: entry '${entry.name}' is not valid deflate data (truncated or corrupted?): ${(error as Error).message}`);
  }
  if (overflow) throw new FileFormatError(`${what}: entry '${entry.name}' inflates to more than the ${entry.size} bytes it declares (a zip bomb?)`);
  if (written !== entry.size) throw new FileFormatError(`${what}: entry '${entry.name}' inflates to ${written} bytes where ${entry.size} were declared (truncated or corrupted?)`);
  return out;
}

/** Whether `wanted` names `name`, itself or (a name ending with '/') a folder holding it. */
function isWanted(name: string, wanted: ReadonlySet<string>): boolean {
  if (wanted.has(name)) return true;
  for (const w of wanted) if (w.endsWith('/') && name.startsWith(w)) return true;
  return false;
}

/**
 * The entries of a zip archive, by name; `what` names the file in errors. Every entry is
 * checked, but only those named in `wanted` (all when omitted; a name ending with '/' wants the
 * entries under it) are inflated.
 */
export function readZip(bytes: Uint8Array, what: string, wanted?: ReadonlySet<string>): Map<string, Uint8Array> {
  if (bytes.length === 0) throw new FileFormatError(`${what} is empty (0 bytes)`);
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw new FileFormatError(`${what} is not a zip archive (a .keras file is one)`);
  const zip = new ZipView(bytes, what);
  const entries = centralDirectory(zip, what);
  let declared = 0;
  for (const entry of entries) {
    const problem = entryProblem(entry);
    if (problem) throw new FileFormatError(`${what}: ${problem}`);
    declared += entry.size;
    if (declared > bytes.length * MAX_ARCHIVE_RATIO) {
      throw new FileFormatError(`${what}: its entries declare ${declared} bytes, more than ${MAX_ARCHIVE_RATIO} times the archive's ${bytes.length} bytes (a zip bomb?)`);
    }
  }
  const result = new Map<string, Uint8Array>();
  for (const entry of entries) {
    if (entry.name.endsWith('/') || (wanted && !isWanted(entry.name, wanted)) || result.has(entry.name)) continue;
    result.set(entry.name, inflateEntry(zip, entry, what));
  }
  return result;
}

/** A zip archive of the given entries (stored, as Keras writes them). */
export function writeZip(entries: Record<string, Uint8Array | string>): Uint8Array {
  const files: Zippable = {};
  for (const [name, data] of Object.entries(entries)) files[name] = [typeof data === 'string' ? strToU8(data) : data, { level: 0 }];
  return zipSync(files);
}

/** A zip entry as JSON; `what` names the archive in errors. */
export function readJsonEntry(entries: Map<string, Uint8Array>, name: string, what: string): unknown {
  const data = entries.get(name);
  if (!data) throw new FileFormatError(`${what} has no ${name} (entries: ${[...entries.keys()].join(', ') || 'none'})`);
  try {
    return JSON.parse(strFromU8(data));
  } catch (error) {
    throw new FileFormatError(`${what}: ${name} is not valid JSON: ${(error as Error).message}`);
  }
}
