// The layer-level graph of a model, read from its symbolic tensors: which layer feeds which,
// and the shapes each layer was called with (the nodes and edges of Keras' plot_model).
import type { Layer } from '../layers/layer.js';
import type { Model } from '../models/model.js';
import type { Shape, SymbolicTensor } from '../symbolic.js';

export interface LayerNode {
  layer: Layer;
  inputShapes: Shape[];
  outputShapes: Shape[];
}

export interface LayerGraph {
  nodes: LayerNode[];
  /** [from, to] indices into `nodes`. */
  edges: [number, number][];
}

/**
 * The layers of `model` in call order with their inbound layers. A layer's call may record
 * several graph nodes (matmul, add, activation); only its output carries the layer, so the
 * walk passes through the unnamed ones (and model-level ops) to the tensors layers produced.
 */
export function layerGraph(model: Model): LayerGraph {
  const nodes: LayerNode[] = [];
  const indexOf = new Map<object, number>();
  const edges = new Set<string>();
  const visited = new Set<SymbolicTensor>();

  const inboundLayerTensors = (t: SymbolicTensor): SymbolicTensor[] => {
    const found: SymbolicTensor[] = [];
    const seen = new Set<SymbolicTensor>();
    const walk = (u: SymbolicTensor) => {
      for (const input of u.inputs) {
        if (seen.has(input)) continue;
        seen.add(input);
        if (input.sourceLayer) found.push(input);
        else walk(input);
      }
    };
    walk(t);
    return found;
  };

  const visit = (t: SymbolicTensor): void => {
    if (visited.has(t)) return;
    visited.add(t);
    const inbound = t.sourceLayer ? inboundLayerTensors(t) : t.inputs;
    inbound.forEach(visit);
    if (!t.sourceLayer) return;
    let index = indexOf.get(t.sourceLayer);
    if (index === undefined) {
      // An input layer reads what it gives out, as Keras shows it.
      const inputShapes = inbound.length > 0 ? inbound.map((u) => u.shape) : [t.shape];
      index = nodes.push({ layer: t.sourceLayer as Layer, inputShapes, outputShapes: [t.shape] }) - 1;
      indexOf.set(t.sourceLayer, index);
    }
    for (const u of inbound) {
      const from = indexOf.get(u.sourceLayer!);
      if (from !== undefined) edges.add(`${from},${index}`);
    }
  };
  model.inputs.forEach(visit);
  model.outputs.forEach(visit);
  return { nodes, edges: [...edges].map((e) => e.split(',').map(Number) as [number, number]) };
}
