// A loss written as a function of (yTrue, yPred) with kiln.ops, as Keras accepts a function in
// compile(). Inside a model it is traced into the graph, so its gradient comes from autodiff.
import { ValueError } from '../errors.js';
import { SymbolicTensor } from '../symbolic.js';
import { Tensor, toTensor, type TensorLike } from '../tensor.js';
import { Loss, type LossArgs } from './loss.js';
import { describeValue } from '../utils/options.js';

/** Per-sample losses ([batch] or [batch, ...]; a scalar is taken as the batch's loss). */
export type LossFunction = ((yTrue: Tensor, yPred: Tensor) => Tensor) | ((yTrue: SymbolicTensor, yPred: SymbolicTensor) => SymbolicTensor);

/** Keras' `LossFunctionWrapper`: a function as a Loss, reduced like the built-in ones. */
export class LossFunctionWrapper extends Loss {
  constructor(
    /** The wrapped function `(yTrue, yPred) => per-sample losses`. */
    readonly fn: LossFunction,
    args: LossArgs = {},
  ) {
    super('custom', args, args.name ?? (fn.name || 'loss'));
    if (typeof fn !== 'function') throw new ValueError(`LossFunctionWrapper needs a function (yTrue, yPred) => loss, got ${describeValue(fn)}`);
  }

  call(yTrue: TensorLike | SymbolicTensor, yPred: TensorLike | SymbolicTensor): Tensor | SymbolicTensor {
    const operand = (v: TensorLike | SymbolicTensor) => (v instanceof SymbolicTensor || v instanceof Tensor ? v : toTensor(v, 'float32'));
    const values = (this.fn as (a: Tensor | SymbolicTensor, b: Tensor | SymbolicTensor) => unknown)(operand(yTrue), operand(yPred));
    if (!(values instanceof Tensor) && !(values instanceof SymbolicTensor)) {
      throw new ValueError(`Loss function "${this.name}" must return a tensor (built with kiln.ops), got ${describeValue(values)}`);
    }
    return values;
  }

  /** @internal The engine's description of it. */
  spec(): never {
    throw new ValueError(`Loss "${this.name}" is a function: it is traced into the model's graph, not computed by a built-in kernel`);
  }
}
