// Keras' plot_model: a box per layer (name and class, optionally shapes and activation) and
// an arrow per connection, laid out top to bottom by dagre as graphviz lays out Keras' graph.
import { ValueError } from '../errors.js';
import { Model } from '../models/model.js';
import { formatShape, type Shape } from '../symbolic.js';
import { type Figure, saveFigure } from './figure.js';
import { figureFormat } from './figure_file.js';
import { layerGraph, type LayerNode } from './layer_graph.js';
import { element, textElement } from './svg.js';
import { textWidth } from './text_width.js';
import { importOptional } from '../utils/optional_package.js';

/** The options of `plot.model` (Keras' `plot_model`). */
export interface ModelPlotOptions {
  /** Write each layer's input and output shapes (default false, as Keras). */
  showShapes?: boolean;
  /** Write each layer's name before its class (default true). */
  showLayerNames?: boolean;
  /** Write the activation of layers that have one (default false). */
  showLayerActivations?: boolean;
  /** Write whether each layer is trainable (default false). */
  showTrainable?: boolean;
  /** 'TB' top to bottom (default) or 'LR' left to right, as graphviz' rankdir. */
  rankdir?: 'TB' | 'LR';
}

/** Where a layer's box was drawn, in pixels. */
export interface LayerBox {
  /** The layer's name. */
  name: string;
  /** Pixels from the image's left edge. */
  left: number;
  /** Pixels from the image's top edge. */
  top: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

const FONT = 13;
const ROW = 24;
const PADDING = 12;
const MARGIN = 20;
const BORDER = '#000000';
const HEADER_FILL = '#dde8f3';

function shapes(list: Shape[]): string {
  return list.length === 0 ? '-' : list.map(formatShape).join(', ');
}

/** The text rows of a layer's box: the header, then label/value rows. */
function boxRows(node: LayerNode, options: ModelPlotOptions): { header: string; rows: [string, string][] } {
  const { layer } = node;
  const className = layer.constructor.name;
  const header = options.showLayerNames === false ? className : `${layer.name} (${className})`;
  const rows: [string, string][] = [];
  if (options.showShapes) {
    rows.push(['Input shape', shapes(node.inputShapes)]);
    rows.push(['Output shape', shapes(node.outputShapes)]);
  }
  const activation = layer.getConfig().activation;
  if (options.showLayerActivations && typeof activation === 'string') rows.push(['Activation', activation]);
  if (options.showTrainable) rows.push(['Trainable', layer.trainable ? 'True' : 'False']);
  return { header, rows };
}

/**
 * Draws `model`'s layer graph to `file` (SVG or PNG by its extension), as Keras'
 * `plot_model`: one box per layer titled "name (Class)", with `showShapes` the input and
 * output shapes, and arrows from each layer to the layers it feeds.
 */
export async function model(model: Model, file: string, options: ModelPlotOptions = {}): Promise<Figure & { boxes: LayerBox[] }> {
  const caller = 'plot.model';
  figureFormat(file, caller);
  if (!(model instanceof Model)) throw new ValueError(`${caller}: expected a kiln Model or Sequential, got ${model === null ? 'null' : typeof model}`);
  if (!model.built) {
    throw new ValueError(`${caller}: model "${model.name}" has not been built yet, so it has no graph to draw. Give its first layer an \`inputShape\` or call it on data first.`);
  }
  const rankdir = options.rankdir ?? 'TB';
  if (rankdir !== 'TB' && rankdir !== 'LR') throw new ValueError(`${caller}: rankdir must be 'TB' or 'LR', got ${JSON.stringify(rankdir)}`);
  const graph = layerGraph(model);
  const contents = graph.nodes.map((node) => boxRows(node, options));

  // Loaded on first use, as only this plot needs a graph layout.
  const { default: dagre } = await importOptional<typeof import('@dagrejs/dagre')>('@dagrejs/dagre', 'kiln.plot.model');
  const layout = new dagre.graphlib.Graph();
  layout.setGraph({ rankdir, nodesep: 30, ranksep: 40, marginx: MARGIN, marginy: MARGIN });
  layout.setDefaultEdgeLabel(() => ({}));
  contents.forEach(({ header, rows }, i) => {
    const widths = [textWidth(header, FONT, true), ...rows.map(([label, value]) => textWidth(`${label}: ${value}`, FONT))];
    layout.setNode(String(i), { width: Math.max(...widths) + 2 * PADDING, height: ROW * (1 + rows.length) + 4 });
  });
  graph.edges.forEach(([from, to]) => layout.setEdge(String(from), String(to)));
  dagre.layout(layout);

  const drawn: string[] = [];
  const boxes: LayerBox[] = [];
  graph.edges.forEach(([from, to]) => {
    const points = layout.edge(String(from), String(to)).points;
    const path = points.map((p: { x: number; y: number }, i: number) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(2)},${p.y.toFixed(2)}`).join(' ');
    drawn.push(element('path', { d: path, fill: 'none', stroke: BORDER, 'stroke-width': 1.3, 'marker-end': 'url(#arrow)' }));
  });
  contents.forEach(({ header, rows }, i) => {
    const box = layout.node(String(i));
    const left = box.x - box.width / 2;
    const top = box.y - box.height / 2;
    boxes.push({ name: graph.nodes[i].layer.name, left, top, width: box.width, height: box.height });
    drawn.push(element('rect', { x: left, y: top, width: box.width, height: ROW, fill: HEADER_FILL }));
    drawn.push(element('rect', { x: left, y: top, width: box.width, height: box.height, fill: 'none', stroke: BORDER, 'stroke-width': 1.3, rx: 2 }));
    drawn.push(textElement(header, { x: box.x, y: top + ROW / 2 + FONT * 0.35, 'font-size': FONT, 'font-weight': 'bold', 'text-anchor': 'middle' }));
    rows.forEach(([label, value], r) => {
      const y = top + ROW * (r + 1) + ROW / 2 + FONT * 0.35;
      drawn.push(textElement(`${label}: ${value}`, { x: box.x, y, 'font-size': FONT, 'text-anchor': 'middle' }));
    });
    if (rows.length > 0) drawn.push(element('line', { x1: left, y1: top + ROW, x2: left + box.width, y2: top + ROW, stroke: BORDER, 'stroke-width': 1 }));
  });
  const size = layout.graph();
  const arrow = element('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto' }, [
    element('path', { d: 'M0,0 L10,5 L0,10 z', fill: BORDER }),
  ]);
  const figure = await saveFigure({ width: Math.ceil(size.width ?? 0), height: Math.ceil(size.height ?? 0), axes: [], extra: drawn, definitions: [arrow] }, file, caller);
  return { ...figure, boxes };
}
