// A functional model's layers and their calls, ordered as Keras orders them (ops/function.py
// map_graph: by depth from the outputs, ties in first-visit order), so that configs and the
// weight paths `layers/dense_1/...` agree with what Keras writes and expects.
import { ValueError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import type { SymbolicTensor } from '../symbolic.js';
import { postOrder } from '../utils/graph_order.js';

export interface LayerGraph {
  /** Every layer, inputs first, in Keras' order. */
  layers: Layer[];
  /** Each layer's calls that belong to the model, in call order (Keras' node indices). */
  calls: Map<Layer, SymbolicTensor[]>;
}

/** The layer whose call produced `t` (model inputs: their InputLayer). */
export function producer(t: SymbolicTensor): Layer {
  const layer = (t.layerCall?.layer ?? t.sourceLayer) as Layer | undefined;
  if (!layer) throw new ValueError(`Tensor "${t.name}" was not produced by a layer, so the model cannot be saved: build it from layers (or wrap ops in a custom layer)`);
  return layer;
}

/** The tensors the call that made `t` read (a data stage's step reads an Input, though the engine is fed its output). */
function parents(t: SymbolicTensor): SymbolicTensor[] {
  return t.layerCall?.inputs ?? [];
}

export function layerGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): LayerGraph {
  const ordered: SymbolicTensor[] = [];
  const firstVisit = new Map<Layer, number>();
  const enter = (t: SymbolicTensor): void => {
    if (t.spec.op !== 'input' && !t.layerCall) producer(t); // throws: not made by a layer
    const layer = producer(t);
    if (!firstVisit.has(layer)) firstVisit.set(layer, firstVisit.size);
  };
  postOrder(outputs, parents, (t) => ordered.push(t), enter);

  const nodeDepth = new Map<SymbolicTensor, number>();
  const layerDepth = new Map<Layer, number>();
  for (const t of [...ordered].reverse()) {
    const layer = producer(t);
    const depth = Math.max(nodeDepth.get(t) ?? 0, layerDepth.get(layer) ?? 0);
    layerDepth.set(layer, depth);
    nodeDepth.set(t, depth);
    for (const p of parents(t)) nodeDepth.set(p, Math.max(depth + 1, nodeDepth.get(p) ?? 0));
  }
  // Inputs no output depends on still belong to the model.
  for (const t of inputs) {
    const layer = producer(t);
    if (!layerDepth.has(layer)) {
      layerDepth.set(layer, 0);
      firstVisit.set(layer, -1);
      ordered.push(t);
    }
  }
  const layers = [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || firstVisit.get(a)! - firstVisit.get(b)!);
  const calls = new Map<Layer, SymbolicTensor[]>(layers.map((l) => [l, []]));
  for (const t of ordered) calls.get(producer(t))!.push(t);
  for (const list of calls.values()) list.sort((a, b) => (a.layerCall?.order ?? -1) - (b.layerCall?.order ?? -1));
  return { layers, calls };
}
