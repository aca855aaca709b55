// What every plot function resolves to, and the one place that assembles and writes a figure.
import type { Axes, AxesInfo } from './axes.js';
import { writeFigure } from './figure_file.js';
import { svgDocument } from './svg.js';

/** A written plot: the file, its size in pixels, the SVG source, and where each panel lies. */
export interface Figure {
  /** The path written. */
  file: string;
  /** The image's width in pixels. */
  width: number;
  /** The image's height in pixels. */
  height: number;
  /** The SVG source. */
  svg: string;
  /** The panels, left to right (empty for a model graph). */
  axes: AxesInfo[];
}

export interface FigureContent {
  width: number;
  height: number;
  axes: Axes[];
  /** Elements outside the panels (a colour bar, graph boxes). */
  extra?: string[];
  /** Gradients and other `<defs>`. */
  definitions?: string[];
}

/** Renders the panels to one SVG document and writes it as SVG or PNG by the file's extension. */
export async function saveFigure(content: FigureContent, file: string, caller: string): Promise<Figure> {
  const { width, height, axes, extra = [], definitions = [] } = content;
  const svg = svgDocument(width, height, [...axes.flatMap((a) => a.render()), ...extra], definitions);
  await writeFigure(svg, file, caller);
  return { file, width, height, svg, axes: axes.map((a) => a.info()) };
}

/** Size options every chart takes. */
export interface FigureSizeOptions {
  /** Image width in pixels. */
  width?: number;
  /** Image height in pixels. */
  height?: number;
}

/** matplotlib's tab10 colours, in its cycle order: tab:blue, tab:orange, tab:green, ... */
export const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
