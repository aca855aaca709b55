// A vertical colour bar beside an image (matplotlib's colorbar): the colour map as a gradient,
// with ticks at round values of the data range.
import { scaleLinear } from 'd3-scale';
import type { Frame } from './axes.js';
import { FONT_SIZE } from './axes.js';
import { element, textElement } from './svg.js';

/** Elements and gradient definition of a colour bar for `colorAt(t)`, t in [0, 1] over [low, high]. */
export function colorBar(frame: Frame, low: number, high: number, colorAt: (t: number) => string, id: string): { elements: string[]; definition: string } {
  const stops = Array.from({ length: 11 }, (_, i) => element('stop', { offset: `${i * 10}%`, 'stop-color': colorAt(1 - i / 10) }));
  const definition = element('linearGradient', { id, x1: 0, y1: 0, x2: 0, y2: 1 }, stops);
  const { left, top, width, height } = frame;
  const elements = [element('rect', { x: left, y: top, width, height, fill: `url(#${id})`, stroke: '#000000', 'stroke-width': 1 })];
  const scale = scaleLinear()
    .domain([low, high === low ? low + 1 : high])
    .range([top + height, top]);
  const format = scale.tickFormat(6);
  for (const value of scale.ticks(6)) {
    const y = scale(value);
    elements.push(element('line', { x1: left + width, y1: y, x2: left + width + 4, y2: y, stroke: '#000000', 'stroke-width': 1 }));
    elements.push(textElement(format(value), { x: left + width + 7, y: y + FONT_SIZE.tick * 0.35, 'font-size': FONT_SIZE.tick }));
  }
  return { elements, definition };
}
