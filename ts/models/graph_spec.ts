// Serialises a model's symbolic graph for the Rust engine: nodes in topological order,
// model inputs by position, weights by index.
import { ValueError } from '../errors.js';
import type * as schema from '../native_schema.js';
import type { SymbolicTensor } from '../symbolic.js';
import { postOrder } from '../utils/graph_order.js';
import type { Variable } from '../variable.js';
import { layerGraph } from './layer_graph.js';

/**
 * The graph from `inputs` to `outputs`; `extra` tensors (loss terms) are included too, their
 * node ids returned in `extraIds`.
 */
export function buildGraphSpec(inputs: SymbolicTensor[], outputs: SymbolicTensor[], extra: SymbolicTensor[] = []): { graph: schema.Graph; variables: Variable[]; extraIds: number[] } {
  const ids = new Map<SymbolicTensor, number>();
  const nodes: schema.Node[] = [];
  const variables: Variable[] = [];
  const emit = (t: SymbolicTensor): void => {
    const { spec } = t;
    const inputIds = t.inputs.map((i) => ids.get(i)!);
    let op: schema.Op;
    if (spec.op === 'input') {
      const index = inputs.indexOf(t);
      if (index < 0) {
        throw new ValueError(`Graph disconnected: cannot obtain a value for tensor "${t.name}": it is not one of the model's inputs`);
      }
      op = { ...spec, index };
    } else if (spec.op === 'variable') {
      op = { ...spec, index: variables.push(t.variable!) - 1 };
    } else {
      op = spec;
    }
    ids.set(t, nodes.push({ ...op, inputs: inputIds, name: t.name }) - 1);
  };
  // Inputs first, so an unused input still gets its node.
  postOrder([...inputs, ...outputs, ...extra], (t) => t.inputs, emit);
  const graph = { nodes, outputs: outputs.map((t) => ids.get(t)!) };
  return { graph, variables, extraIds: extra.map((t) => ids.get(t)!) };
}

/** The layers whose calls produced the graph, each once, in Keras' order (see layer_graph). */
export function layersOf(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): { name: string }[] {
  return layerGraph(inputs, outputs).layers;
}
