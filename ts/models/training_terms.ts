// What a model adds to its loss besides the compiled losses, as graph nodes the engine sums:
// weight regularizers and activity regularizers (Keras' `model.losses`), and the constraints
// the engine applies after each step.
import type { Layer } from '../layers/layer.js';
import { ValueError } from '../errors.js';
import type * as schema from '../native_schema.js';
import { L1, L1L2, L2 } from '../regularizers/l1l2.js';
import type { Regularizer } from '../regularizers/regularizer.js';
import { SymbolicTensor } from '../symbolic.js';
import type { Variable } from '../variable.js';

/**
 * A loss term before it has a node id: the tensor whose node it will be, and the engine's
 * settings (kind, weight, reduction, and for a custom loss the output whose `<output>_loss` it is).
 */
export type PendingTerm = { tensor: SymbolicTensor } & Omit<schema.LossTerm, 'node'>;

/** A built-in L1/L2 regularizer, which the engine computes fused on the weight. */
export interface WeightPenalty {
  weight: Variable;
  l1: number;
  l2: number;
}

/** The factors of Keras' own L1, L2 and L1L2 (not subclasses, whose `call` may differ). */
function builtInFactors(r: Regularizer): { l1: number; l2: number } | undefined {
  if (r.constructor === L1) return { l1: (r as L1).l1, l2: 0 };
  if (r.constructor === L2) return { l1: 0, l2: (r as L2).l2 };
  if (r.constructor === L1L2) return { l1: (r as L1L2).l1, l2: (r as L1L2).l2 };
  return undefined;
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
 * Penalties of the trainable weights that have a regularizer (built-in ones fused, others as
 * graph nodes), and of the activity regularizers whose layer calls are part of this model's graph.
 */
export function regularizationTerms(
  layers: Partial<Pick<Layer, 'activityPenalties' | 'addedLosses'>>[],
  trainableWeights: Variable[],
  outputs: SymbolicTensor[],
): { terms: PendingTerm[]; weightPenalties: WeightPenalty[] } {
  const terms: PendingTerm[] = [];
  const weightPenalties: WeightPenalty[] = [];
  for (const w of trainableWeights) {
    if (!w.regularizer) continue;
    const factors = builtInFactors(w.regularizer);
    if (factors) {
      weightPenalties.push({ weight: w, ...factors });
      continue;
    }
    const penalty = w.regularizer.call(w.symbolic);
    if (!(penalty instanceof SymbolicTensor) || penalty.shape.length !== 0) {
      throw new ValueError(
        `The regularizer of weight "${w.path}" must return a scalar built with kiln.ops (for example ops.sum), got ${penalty instanceof SymbolicTensor ? `shape [${penalty.shape.join(', ')}]` : String(penalty)}`,
      );
    }
    terms.push({ tensor: penalty, kind: 'penalty' });
  }
  const inGraph = reachable(outputs);
  for (const layer of layers) {
    // A nested Model records none of its own.
    for (const { output, penalty } of layer.activityPenalties ?? []) {
      if (inGraph.has(output)) terms.push({ tensor: penalty, kind: 'batch_penalty' });
    }
    // Keras' add_loss: summed and added as it is.
    for (const { output, loss } of layer.addedLosses ?? []) {
      if (output && inGraph.has(output)) terms.push({ tensor: loss, kind: 'penalty' });
    }
  }
  return { terms, weightPenalties };
}

/** @internal The engine's constraints: each constrained weight by its index in `variables`. */
export function constraintSpecs(variables: Variable[]): schema.ConstraintSpec[] {
  return variables.flatMap((v, variable) => (v.constraint ? [{ variable, ...v.constraint.spec() }] : []));
}
