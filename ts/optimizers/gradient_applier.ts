// Keras' `optimizer.apply_gradients` / `optimizer.apply`: gradients computed by the user
// (kiln.valueAndGrad) applied with the optimizer's update rule in Rust, the same rule, clipping,
// weight decay and constraints the engine applies in fit.
import type { NativeGradientApplier } from '../../native.cjs';
import { ValueError } from '../errors.js';
import { callNative, native } from '../native.js';
import type * as schema from '../native_schema.js';
import { type Tensor, toTensor, type TensorLike } from '../tensor.js';
import { describeValue } from '../utils/options.js';
import { Variable } from '../variable.js';

/** One gradient and the variable it belongs to (`undefined`: no gradient, skipped). */
export type GradientAndVariable = [grad: TensorLike | undefined, variable: Variable];

/** The pairs of either call form, checked: `(pairs)` or `(grads, variables)`. */
export function gradientPairs(where: string, first: unknown, variables: unknown): GradientAndVariable[] {
  if (variables !== undefined) {
    if (!Array.isArray(first) || !Array.isArray(variables) || first.length !== variables.length) {
      throw new ValueError(`${where}: give one gradient per variable: two lists of the same length, got ${describeValue(first)} and ${describeValue(variables)}`);
    }
    return first.map((g, i) => [g, variables[i]] as GradientAndVariable);
  }
  if (!Array.isArray(first) || first.some((p) => !Array.isArray(p) || p.length !== 2)) {
    throw new ValueError(`${where}: expected a list of [gradient, variable] pairs (or the gradients and the variables as two lists), got ${describeValue(first)}`);
  }
  return first as GradientAndVariable[];
}

/** The rule's native state for one optimizer, made on its first applyGradients. */
export class GradientApplier {
  private readonly handle: NativeGradientApplier;

  constructor(engineSpec: schema.OptimizerConfig) {
    this.handle = callNative(() => new native.NativeGradientApplier(JSON.stringify(engineSpec)));
  }

  /**
   * Applies the pairs at `learningRate`. Pairs without a gradient are skipped with a warning, as
   * Keras does; none at all is an error.
   */
  apply(where: string, pairs: GradientAndVariable[], learningRate: number): void {
    const kept: [Tensor, Variable][] = [];
    const missing: string[] = [];
    pairs.forEach(([g, v], i) => {
      if (!(v instanceof Variable)) throw new ValueError(`${where}: pair ${i} holds ${describeValue(v)} where a kiln.Variable was expected`);
      if (g === undefined || g === null) missing.push(v.path);
      else kept.push([toTensor(g, 'float32'), v]);
    });
    if (kept.length === 0) throw new ValueError(`${where}: no gradients provided for any variable (${missing.join(', ') || 'an empty list'})`);
    if (missing.length > 0)
      process.emitWarning(`Gradients do not exist for variables ${JSON.stringify(missing)} when minimizing the loss. If using \`model.compile()\`, did you forget to provide a \`loss\` argument?`);
    kept.forEach(([g, v], i) => {
      if (g.shape.join(',') !== v.shape.join(',')) {
        throw new ValueError(`${where}: gradient ${i} has shape [${g.shape.join(', ')}] but variable "${v.path}" has shape [${v.shape.join(', ')}]`);
      }
    });
    const constraints: (schema.Constraint | null)[] = kept.map(([, v]) => v.constraint?.spec() ?? null);
    callNative(() =>
      this.handle.apply(
        kept.map(([, v]) => v.handle),
        kept.map(([g]) => g.handle),
        learningRate,
        JSON.stringify(constraints),
      ),
    );
  }
}
