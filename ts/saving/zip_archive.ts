// The zip container of `.keras` files, through fflate. Reading refuses entries whose names
// could escape a directory and sizes the archive does not justify, before inflating anything.
import { strFromU8, strToU8, unzipSync, type Zippable, zipSync } from 'fflate';
import { FileFormatError } from '../errors.js';

/** Deflate expands at most about 1032:1; a larger declared ratio is a lie. */
const MAX_DEFLATE_RATIO = 1100;
/**
 * Entries declaring more than this many times the archive's size, in all, are refused as a zip
 * bomb before anything is inflated: weights (float32) barely compress, and Keras stores them.
 */
const MAX_ARCHIVE_RATIO = 100;

/** Whether a zip entry name is a plain relative path (no `..`, no absolute or drive paths). */
function safeName(name: string): boolean {
  if (name.length === 0 || name.includes('\\') || name.includes('\0') || name.startsWith('/') || /^[A-Za-z]:/.test(name)) return false;
  return !name.split('/').some((part) => part === '..');
}

/**
 * The entries of a zip archive, by name; `what` names the file in errors. Every entry is
 * checked, but only those named in `wanted` (all when omitted) are inflated.
 */
export function readZip(bytes: Uint8Array, what: string, wanted?: ReadonlySet<string>): Map<string, Uint8Array> {
  if (bytes.length === 0) throw new FileFormatError(`${what} is empty (0 bytes)`);
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw new FileFormatError(`${what} is not a zip archive (a .keras file is one)`);
  let declared = 0;
  let problem: string | undefined;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter(file) {
        if (problem) return false;
        if (!safeName(file.name)) problem = `entry '${file.name}' has an unsafe path`;
        else if (file.compression !== 0 && file.compression !== 8) problem = `entry '${file.name}' uses compression method ${file.compression} (only stored and deflated are supported)`;
        else if (file.originalSize > (file.compression === 0 ? file.size : file.size * MAX_DEFLATE_RATIO + 1024)) problem = `entry '${file.name}' declares ${file.originalSize} bytes, more than its ${file.size} stored bytes can hold`;
        else if ((declared += file.originalSize) > bytes.length * MAX_ARCHIVE_RATIO) problem = `its entries declare ${declared} bytes, more than ${MAX_ARCHIVE_RATIO} times the archive's ${bytes.length} bytes (a zip bomb?)`;
        return !problem && (!wanted || wanted.has(file.name));
      },
    });
  } catch (error) {
    throw new FileFormatError(`${what} is not a valid zip archive (truncated or corrupted?): ${error instanceof Error ? error.message : String(error)}`);
  }
  if (problem) throw new FileFormatError(`${what}: ${problem}`);
  return new Map(Object.entries(entries));
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
