// TFRecord framing, as TensorFlow's record writer lays out event files: each record is its
// length (uint64 LE), the length's masked CRC32C, the data, and the data's masked CRC32C.
import { crc32c } from '@node-rs/crc32';

/** TensorFlow's masked CRC32C: rotated and offset, so CRCs of CRCs do not look valid. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One framed record. */
export function frameRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}
