// Resizing as tf.image.resize does (half-pixel centres, no antialiasing), to float32 values.
import type { DecodedImage } from './image_decode.js';

/** How images are resized: 'bilinear' or 'nearest', as tf.image.resize. */
export type Interpolation = 'bilinear' | 'nearest';

/** Writes `image` resized to height x width into `out` at `offset` (row by row, channels last). */
export function resizeInto(image: DecodedImage, height: number, width: number, interpolation: Interpolation, out: Float32Array, offset: number): void {
  const { data, channels } = image;
  const scaleY = image.height / height;
  const scaleX = image.width / width;
  const source = (y: number, x: number, c: number) => data[(y * image.width + x) * channels + c];
  for (let y = 0; y < height; y++) {
    const sy = (y + 0.5) * scaleY - 0.5;
    const y0 = Math.max(0, Math.floor(sy));
    const y1 = Math.min(image.height - 1, y0 + 1);
    const fy = Math.max(0, sy - y0);
    const ny = Math.min(image.height - 1, Math.floor((y + 0.5) * scaleY));
    for (let x = 0; x < width; x++) {
      const sx = (x + 0.5) * scaleX - 0.5;
      const x0 = Math.max(0, Math.floor(sx));
      const x1 = Math.min(image.width - 1, x0 + 1);
      const fx = Math.max(0, sx - x0);
      const nx = Math.min(image.width - 1, Math.floor((x + 0.5) * scaleX));
      for (let c = 0; c < channels; c++) {
        const at = offset + (y * width + x) * channels + c;
        if (interpolation === 'nearest') {
          out[at] = source(ny, nx, c);
          continue;
        }
        const top = source(y0, x0, c) + (source(y0, x1, c) - source(y0, x0, c)) * fx;
        const bottom = source(y1, x0, c) + (source(y1, x1, c) - source(y1, x0, c)) * fx;
        out[at] = top + (bottom - top) * fy;
      }
    }
  }
}
