// Writes a rendered figure to disk: SVG as text, PNG rasterised by resvg with the fonts kiln
// names (DejaVu Sans, an optional package), so text looks the same on every machine, a fresh one without system fonts included.
import { rename, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ValueError } from '../errors.js';
import { importOptional, resolveOptional } from '../utils/optional_package.js';

const PNG_FEATURE = 'writing a plot as PNG (SVG needs no extra package)';

/** DejaVu Sans (matplotlib's default font) from the npm package `dejavu-fonts-ttf`. */
function fontFiles(): string[] {
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) => resolveOptional('dejavu-fonts-ttf', `ttf/${file}`, PNG_FEATURE));
}

/** The image format a file name asks for; throws for anything but .svg and .png. */
export function figureFormat(file: string, caller: string): 'svg' | 'png' {
  if (typeof file !== 'string' || file === '') throw new ValueError(`${caller}: \`file\` must be a path ending in .svg or .png, got ${String(file)}`);
  const extension = extname(file).toLowerCase();
  if (extension === '.svg' || extension === '.png') return extension.slice(1) as 'svg' | 'png';
  throw new ValueError(`${caller}: cannot tell the image format of "${file}": expected a file name ending in .svg or .png, got "${extension || 'no extension'}"`);
}

/** PNG bytes of an SVG document (1 SVG unit = 1 pixel). */
export async function rasterize(svg: string): Promise<Buffer> {
  // Loaded on first use: the native renderer costs nothing to programs that never draw.
  const fonts = fontFiles();
  const { renderAsync } = await importOptional<typeof import('@resvg/resvg-js')>('@resvg/resvg-js', PNG_FEATURE);
  const image = await renderAsync(svg, {
    font: { loadSystemFonts: false, fontFiles: fonts, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    background: '#ffffff',
    shapeRendering: 2,
    textRendering: 1,
  });
  return image.asPng();
}

/**
 * Writes `svg` to `file` as SVG or PNG by its extension. Through a temporary file and a
 * rename, so an interrupted write never leaves half an image where a good one was.
 */
export async function writeFigure(svg: string, file: string, caller: string): Promise<void> {
  const format = figureFormat(file, caller);
  const bytes = format === 'svg' ? Buffer.from(svg, 'utf8') : await rasterize(svg);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, file);
}
