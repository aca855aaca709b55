// One panel of a chart, drawn as matplotlib draws its Axes: a box of spines, ticks outside with
// their labels, axis labels, a title, lines with markers, and a legend in a corner.
import { scaleLinear } from 'd3-scale';
import { line as linePath, curveLinear, curveStepAfter } from 'd3-shape';
import { element, textElement } from './svg.js';
import { textWidth } from './text_width.js';

/** A rectangle in pixels. */
export interface Frame {
  /** Pixels from the image's left edge. */
  left: number;
  /** Pixels from the image's top edge. */
  top: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** Where a panel's data lies on the image, so callers (and tests) can find its points. */
export interface AxesInfo {
  /** The panel's title. */
  title: string;
  /** The plotting area inside the spines, in pixels. */
  frame: Frame;
  /** Data values at the left and right edges of the frame. */
  xDomain: [number, number];
  /** Data values at the bottom and top edges of the frame. */
  yDomain: [number, number];
  /** The pixel [column, row] of data point (x, y). */
  toPixel(x: number, y: number): [number, number];
}

/** Explicit ticks: positions in data units and their labels. */
export interface Ticks {
  values: number[];
  labels: string[];
}

export interface AxesOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Data values at the left and right edges. */
  xDomain: [number, number];
  /** Data values at the bottom and top edges (reverse them to put the first row on top). */
  yDomain: [number, number];
  xTicks?: Ticks;
  yTicks?: Ticks;
  /** Only whole-number ticks on the x axis (epochs). */
  integerXTicks?: boolean;
  /** Rotate the x tick labels by 45 degrees (long class names). */
  rotateXTickLabels?: boolean;
}

export interface LineStyle {
  color: string;
  label?: string;
  /** SVG dash pattern, e.g. '6 4'. */
  dash?: string;
  /** Draw a dot at each point. */
  markers?: boolean;
  /** Hold each value until the next x (matplotlib's drawstyle 'steps-post'). */
  steps?: boolean;
  width?: number;
}

export type LegendLocation = 'upper right' | 'lower right' | 'lower left' | 'upper left';

export const FONT_SIZE = { tick: 12, label: 13, title: 15, legend: 12 };
const TICK_LENGTH = 4;

/** matplotlib's default margin around autoscaled data: 5% of the range on each side. */
export function autoscale(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  if (low === high) {
    const pad = low === 0 ? 0.5 : Math.abs(low) * 0.05;
    return [low - pad, high + pad];
  }
  const margin = (high - low) * 0.05;
  return [low - margin, high + margin];
}

/**
 * The part of d3's linear scale the figures use, declared here so kiln-nn's published types do
 * not name d3's (a user's project type-checks without @types/d3-scale).
 */
export interface LinearScale {
  (value: number): number;
  domain(): number[];
  ticks(count?: number): number[];
  tickFormat(count?: number): (value: number) => string;
}

export class Axes {
  readonly x: LinearScale;
  readonly y: LinearScale;
  private readonly content: string[] = [];
  private readonly legendEntries: LineStyle[] = [];
  private legendLocation?: LegendLocation;

  constructor(
    readonly frame: Frame,
    private readonly options: AxesOptions,
  ) {
    this.x = scaleLinear()
      .domain(options.xDomain)
      .range([frame.left, frame.left + frame.width]);
    this.y = scaleLinear()
      .domain(options.yDomain)
      .range([frame.top + frame.height, frame.top]);
  }

  /** Elements drawn inside the frame, under the lines (image cells, for instance). */
  addElements(elements: string[]): void {
    this.content.push(...elements);
  }

  plot(xs: number[], ys: number[], style: LineStyle): void {
    const points = xs.map((x, i) => [x, ys[i]] as [number, number]).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const path = linePath<[number, number]>()
      .x(([x]) => this.x(x))
      .y(([, y]) => this.y(y))
      .curve(style.steps ? curveStepAfter : curveLinear)(points);
    const width = style.width ?? 2;
    if (path) {
      this.content.push(element('path', { d: path, fill: 'none', stroke: style.color, 'stroke-width': width, 'stroke-dasharray': style.dash, 'stroke-linejoin': 'round', 'stroke-linecap': 'butt' }));
    }
    if (style.markers) {
      for (const [x, y] of points) this.content.push(element('circle', { cx: this.x(x), cy: this.y(y), r: 3.5, fill: style.color }));
    }
    if (style.label) this.legendEntries.push(style);
  }

  legend(location: LegendLocation): void {
    this.legendLocation = location;
  }

  info(): AxesInfo {
    const x = this.x;
    const y = this.y;
    return {
      title: this.options.title ?? '',
      frame: { ...this.frame },
      xDomain: [...this.options.xDomain],
      yDomain: [...this.options.yDomain],
      toPixel: (dataX: number, dataY: number) => [x(dataX), y(dataY)],
    };
  }

  /** The panel's elements: content, spines, ticks, labels, title, legend. */
  render(): string[] {
    const { left, top, width, height } = this.frame;
    const bottom = top + height;
    const right = left + width;
    const out: string[] = [];
    out.push(...this.content);
    out.push(element('rect', { x: left, y: top, width, height, fill: 'none', stroke: '#000000', 'stroke-width': 1 }));
    for (const [value, label] of this.tickPairs('x')) {
      const px = this.x(value);
      out.push(element('line', { x1: px, y1: bottom, x2: px, y2: bottom + TICK_LENGTH, stroke: '#000000', 'stroke-width': 1 }));
      const textY = bottom + TICK_LENGTH + FONT_SIZE.tick + 2;
      if (this.options.rotateXTickLabels) {
        out.push(textElement(label, { x: px, y: textY, 'font-size': FONT_SIZE.tick, 'text-anchor': 'end', transform: `rotate(-45 ${px} ${textY})` }));
      } else {
        out.push(textElement(label, { x: px, y: textY, 'font-size': FONT_SIZE.tick, 'text-anchor': 'middle' }));
      }
    }
    let widestYLabel = 0;
    for (const [value, label] of this.tickPairs('y')) {
      const py = this.y(value);
      out.push(element('line', { x1: left - TICK_LENGTH, y1: py, x2: left, y2: py, stroke: '#000000', 'stroke-width': 1 }));
      out.push(textElement(label, { x: left - TICK_LENGTH - 3, y: py + FONT_SIZE.tick * 0.35, 'font-size': FONT_SIZE.tick, 'text-anchor': 'end' }));
      widestYLabel = Math.max(widestYLabel, textWidth(label, FONT_SIZE.tick));
    }
    if (this.options.xLabel) {
      const below = this.options.rotateXTickLabels ? this.longestXTickLabel() * 0.72 + FONT_SIZE.tick : FONT_SIZE.tick;
      out.push(textElement(this.options.xLabel, { x: left + width / 2, y: bottom + TICK_LENGTH + below + FONT_SIZE.label + 8, 'font-size': FONT_SIZE.label, 'text-anchor': 'middle' }));
    }
    if (this.options.yLabel) {
      const labelX = left - TICK_LENGTH - widestYLabel - 12;
      const labelY = top + height / 2;
      out.push(textElement(this.options.yLabel, { x: labelX, y: labelY, 'font-size': FONT_SIZE.label, 'text-anchor': 'middle', transform: `rotate(-90 ${labelX} ${labelY})` }));
    }
    if (this.options.title) {
      out.push(textElement(this.options.title, { x: left + width / 2, y: top - 10, 'font-size': FONT_SIZE.title, 'text-anchor': 'middle' }));
    }
    if (this.legendLocation && this.legendEntries.length > 0) out.push(...this.renderLegend(right, bottom));
    return out;
  }

  private longestXTickLabel(): number {
    return Math.max(0, ...this.tickPairs('x').map(([, label]) => textWidth(label, FONT_SIZE.tick)));
  }

  /** Tick positions and labels: the explicit ones, else d3's round numbers in the domain. */
  private tickPairs(axis: 'x' | 'y'): [number, string][] {
    const explicit = axis === 'x' ? this.options.xTicks : this.options.yTicks;
    if (explicit) return explicit.values.map((v, i) => [v, explicit.labels[i]]);
    const scale = axis === 'x' ? this.x : this.y;
    const count = Math.max(2, Math.round((axis === 'x' ? this.frame.width : this.frame.height) / 60));
    let values = scale.ticks(count);
    if (axis === 'x' && this.options.integerXTicks) {
      values = values.filter(Number.isInteger);
      if (values.length === 0) values = [Math.round(scale.domain()[0] + (scale.domain()[1] - scale.domain()[0]) / 2)];
    }
    const format = axis === 'x' && this.options.integerXTicks ? String : scale.tickFormat(count);
    return values.map((v) => [v, format(v).replace('−', '-')]);
  }

  private renderLegend(right: number, bottom: number): string[] {
    const { left, top } = this.frame;
    const rowHeight = FONT_SIZE.legend + 8;
    const sampleWidth = 28;
    const padding = 8;
    const labelWidth = Math.max(...this.legendEntries.map((e) => textWidth(e.label!, FONT_SIZE.legend)));
    const boxWidth = padding * 3 + sampleWidth + labelWidth;
    const boxHeight = padding * 2 + rowHeight * this.legendEntries.length - 6;
    const location = this.legendLocation!;
    const inset = 8;
    const boxLeft = location.endsWith('right') ? right - inset - boxWidth : left + inset;
    const boxTop = location.startsWith('upper') ? top + inset : bottom - inset - boxHeight;
    const out = [element('rect', { x: boxLeft, y: boxTop, width: boxWidth, height: boxHeight, rx: 3, fill: '#ffffff', 'fill-opacity': 0.8, stroke: '#cccccc', 'stroke-width': 1 })];
    this.legendEntries.forEach((entry, i) => {
      const rowMiddle = boxTop + padding + rowHeight * i + (rowHeight - 6) / 2;
      const sampleLeft = boxLeft + padding;
      out.push(element('line', { x1: sampleLeft, y1: rowMiddle, x2: sampleLeft + sampleWidth, y2: rowMiddle, stroke: entry.color, 'stroke-width': entry.width ?? 2, 'stroke-dasharray': entry.dash }));
      if (entry.markers) out.push(element('circle', { cx: sampleLeft + sampleWidth / 2, cy: rowMiddle, r: 3.5, fill: entry.color }));
      out.push(textElement(entry.label!, { x: sampleLeft + sampleWidth + padding, y: rowMiddle + FONT_SIZE.legend * 0.35, 'font-size': FONT_SIZE.legend }));
    });
    return out;
  }
}
