// A functional model's graph seen layer by layer, as Keras sees it: the layer calls (nodes)
// between the inputs and outputs, layers ordered by depth (inputs first), and who feeds whom
// (the summary's "Connected to" column).
import type { LayerNode } from '../layers/layer.js';
import type { SymbolicTensor } from '../symbolic.js';
import { postOrder } from '../utils/graph_order.js';

/** What the graph needs of a layer (models used as layers are layer-like too). */
export interface LayerLike {
  name: string;
  inboundNodes?: LayerNode[];
}

interface GraphNode {
  layer: LayerLike;
  node: LayerNode;
}

export interface LayerGraph {
  /** Keras' `model.layers` order: by depth from the outputs, deepest first, then by first use. */
  layers: LayerLike[];
  /** The layer calls inside the model. */
  nodes: Set<LayerNode>;
  /** One call per depth, each with at most one input, no layer called twice (Keras then prints no "Connected to"). */
  sequentialLike: boolean;
}

export function layerGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): LayerGraph {
  const inputNodes = new Map<SymbolicTensor, GraphNode>();
  /** The layer call that made `t`; input tensors get a call without inputs. */
  const producer = (t: SymbolicTensor): GraphNode | undefined => {
    const layer = t.sourceLayer as LayerLike | undefined;
    if (!layer) return undefined;
    const node = t.nodeIndex === undefined ? undefined : layer.inboundNodes?.[t.nodeIndex];
    if (node) return { layer, node };
    if (!inputNodes.has(t)) inputNodes.set(t, { layer, node: { inputs: [], outputs: [t] } });
    return inputNodes.get(t);
  };
  const byNode = new Map<LayerNode, GraphNode>();
  const known = (g: GraphNode) => {
    if (!byNode.has(g.node)) byNode.set(g.node, g);
    return byNode.get(g.node)!;
  };
  /** The layer calls feeding `t`, looking through ops recorded outside any layer. */
  const upstreamMemo = new Map<SymbolicTensor, GraphNode[]>();
  const upstream = (t: SymbolicTensor): GraphNode[] => {
    let found = upstreamMemo.get(t);
    if (found) return found;
    const own = producer(t);
    found = own ? [known(own)] : [...new Set(t.inputs.flatMap(upstream))];
    upstreamMemo.set(t, found);
    return found;
  };
  // A layer that returns its input tensor (an identity) is that tensor's producer: look past it.
  const parents = (g: GraphNode) => [...new Set(g.node.inputs.flatMap((t) => (g.node.outputs.includes(t) ? t.inputs.flatMap(upstream) : upstream(t))))];

  // Post-order from the outputs (a call after the calls that feed it) for the depths; layers
  // numbered in pre-order, which breaks ties between equal depths (Keras' traversal order).
  const order: GraphNode[] = [];
  const firstUse = new Map<LayerLike, number>();
  const enter = (g: GraphNode) => {
    if (!firstUse.has(g.layer)) firstUse.set(g.layer, firstUse.size);
  };
  postOrder([...outputs.flatMap(upstream), ...inputs.flatMap(upstream)], parents, (g) => order.push(g), enter);

  const nodeDepth = new Map<GraphNode, number>();
  const layerDepth = new Map<LayerLike, number>();
  for (const g of [...order].reverse()) {
    const depth = Math.max(nodeDepth.get(g) ?? 0, layerDepth.get(g.layer) ?? 0);
    layerDepth.set(g.layer, depth);
    nodeDepth.set(g, depth);
    for (const p of parents(g)) nodeDepth.set(p, Math.max(depth + 1, nodeDepth.get(p) ?? 0));
  }
  const layers = [...firstUse.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || firstUse.get(a)! - firstUse.get(b)!);
  const depths = order.map((g) => nodeDepth.get(g)!);
  const sequentialLike = new Set(depths).size === depths.length && order.every((g) => g.node.inputs.length <= 1) && new Set(order.map((g) => g.layer)).size === order.length;
  return { layers, nodes: new Set(order.map((g) => g.node)), sequentialLike };
}

/** Keras' "Connected to" entries of a tensor: `layer[node][tensor]` of the calls that made it. */
export function connectionNames(t: SymbolicTensor): string[] {
  if (t.sourceLayer) return [`${t.sourceLayer.name}[${t.nodeIndex ?? 0}][${t.tensorIndex ?? 0}]`];
  return [...new Set(t.inputs.flatMap(connectionNames))];
}

/** Each layer's "Connected to" cell, or undefined when the model is a plain chain (Keras then omits the column). */
export function connectedTo(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): Map<LayerLike, string> | undefined {
  const { layers, nodes, sequentialLike } = layerGraph(inputs, outputs);
  if (sequentialLike) return undefined;
  const cells = new Map<LayerLike, string>();
  for (const layer of layers) {
    const names = (layer.inboundNodes ?? []).filter((n) => nodes.has(n)).flatMap((n) => n.inputs.flatMap(connectionNames));
    cells.set(layer, names.length > 0 ? names.join(', ') : '-');
  }
  return cells;
}
