// Decodes PNG (pngjs) and JPEG (jpeg-js) files to 8-bit pixels with 1, 3 or 4 channels.
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { FileFormatError } from '../errors.js';

/** Pixels, row by row, `channels` bytes each. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8];

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((byte, i) => bytes[i] === byte);
}

/** RGBA pixels as `channels` channels: 1 is luma (ITU-R 601 weights, as tf.image.rgb_to_grayscale), 3 drops alpha. */
function toChannels(rgba: Uint8Array, pixels: number, channels: number): Uint8Array {
  if (channels === 4) return rgba;
  const out = new Uint8Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    const r = rgba[p * 4];
    const g = rgba[p * 4 + 1];
    const b = rgba[p * 4 + 2];
    if (channels === 3) {
      out[p * 3] = r;
      out[p * 3 + 1] = g;
      out[p * 3 + 2] = b;
    } else {
      out[p] = Math.round(0.2989 * r + 0.587 * g + 0.114 * b);
    }
  }
  return out;
}

/** Decodes a PNG or JPEG file's bytes; `path` names it in errors. */
export function decodeImage(bytes: Uint8Array, path: string, channels: number): DecodedImage {
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  try {
    if (startsWith(bytes, PNG_MAGIC)) {
      const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = png);
      rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
    } else if (startsWith(bytes, JPEG_MAGIC)) {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      ({ width, height } = image);
      rgba = image.data;
    } else {
      throw new Error('it is neither a PNG nor a JPEG file (unknown signature)');
    }
  } catch (error) {
    throw new FileFormatError(`${path} is not a valid image: ${(error as Error).message}`);
  }
  if (rgba.length !== width * height * 4) throw new FileFormatError(`${path} is not a valid image: it decodes to ${rgba.length} bytes for ${width}x${height} pixels`);
  return { width, height, channels, data: toChannels(rgba, width * height, channels) };
}
