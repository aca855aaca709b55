import type { SymbolicTensor } from '../symbolic.js';
import type { Tensor } from '../tensor.js';

/** A regularizer's input and output: concrete when called eagerly, symbolic inside a model. */
export type RegularizerInput = Tensor | SymbolicTensor;

/**
 * Base of regularizers: `call(x)` returns a scalar penalty built from `kiln.ops`, so it runs
 * eagerly on a tensor and, on a model's weights or activations, becomes graph nodes whose
 * value the engine adds to the loss (and differentiates). Subclass it for a custom penalty.
 */
export abstract class Regularizer {
  /** The penalty of `x` (a weight or an activation): a scalar computed with kiln.ops. */
  abstract call(x: RegularizerInput): RegularizerInput;

  /** The constructor arguments (Keras' `get_config`). */
  getConfig(): Record<string, unknown> {
    return {};
  }
}

/** A penalty written as a plain function of the weight (or activation). */
export type RegularizerFunction = (x: RegularizerInput) => RegularizerInput;

/** A regularizer given as a function. */
export class FunctionRegularizer extends Regularizer {
  /** @param fn The penalty as a function of the weight or activation. */
  constructor(readonly fn: RegularizerFunction) {
    super();
  }

  call(x: RegularizerInput): RegularizerInput {
    return this.fn(x);
  }
}
