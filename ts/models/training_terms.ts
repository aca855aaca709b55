// What a model adds to its loss besides the compiled losses, as graph nodes the engine sums:
// weight regularizers and activity regularizers (Keras' `model.losses`), and the constraints
// the engine applies after each step.
import type { Layer } from '../layers/layer.js';
import type { ConstraintSpec } from '../constraints/constraint.js';
import { ValueError } from '../errors.js';
import { SymbolicTensor } from '../symbolic.js';
import type { Variable } from '../variable.js';

/** A loss term before it has a node id: the engine's `TermKind` and settings. */
export interface PendingTerm {
  tensor: SymbolicTensor;
  kind: 'penalty' | 'batch_penalty' | 'sample_loss';
  weight?: number;
  reduction?: string;
}

/** Every tensor the outputs are computed from. */
function reachable(outputs: SymbolicTensor[]): Set<SymbolicTensor> {
  const seen = new Set<SymbolicTensor>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push(...t.inputs);
  }
  return seen;
}

/**
 * Penalties of the trainable weights that have a regularizer, and of the activity
 * regularizers whose layer calls are part of this model's graph.
 */
export function regularizationTerms(layers: Layer[], trainableWeights: Variable[], outputs: SymbolicTensor[]): PendingTerm[] {
  const terms: PendingTerm[] = [];
  for (const w of trainableWeights) {
    if (!w.regularizer) continue;
    const penalty = w.regularizer.call(w.symbolic);
    if (!(penalty instanceof SymbolicTensor) || penalty.shape.length !== 0) {
      throw new ValueError(`The regularizer of weight "${w.path}" must return a scalar built with kiln.ops (for example ops.sum), got ${penalty instanceof SymbolicTensor ? `shape [${penalty.shape.join(', ')}]` : String(penalty)}`);
    }
    terms.push({ tensor: penalty, kind: 'penalty' });
  }
  const inGraph = reachable(outputs);
  for (const layer of layers) {
    for (const { output, penalty } of layer.activityPenalties) {
      if (inGraph.has(output)) terms.push({ tensor: penalty, kind: 'batch_penalty' });
    }
  }
  return terms;
}

/** The engine's constraints: each constrained weight by its index in `variables`. */
export function constraintSpecs(variables: Variable[]): ({ variable: number } & ConstraintSpec)[] {
  return variables.flatMap((v, variable) => (v.constraint ? [{ variable, ...v.constraint.spec() }] : []));
}
