import type { NativeVariable } from '../native.cjs';
import type { Constraint } from './constraints/constraint.js';
import { callNative, native } from './native.js';
import type { Regularizer } from './regularizers/regularizer.js';
import { SymbolicTensor } from './symbolic.js';
import { Tensor, toTensor, type TensorLike } from './tensor.js';

/**
 * A weight held in native memory. Every model that uses the layer trains the same buffer in
 * place, so `read()` always gives the current value.
 */
export class Variable {
  /** @internal */
  readonly handle: NativeVariable;
  /** The weight's shape. */
  readonly shape: number[];
  /** Always float32. */
  readonly dtype = 'float32';
  /** Whether the optimizer updates it (taken when a model is compiled). */
  trainable: boolean;
  /** Its name within its layer ('kernel', 'bias', ...); default 'variable'. */
  name: string;
  /** Layer-qualified path, as Keras prints it: `dense/kernel`. */
  path: string;
  /** Its penalty, added to the training loss (Keras' `variable.regularizer`). */
  regularizer?: Regularizer;
  /** Applied after each optimizer step (Keras' `variable.constraint`). */
  constraint?: Constraint;
  private symbolicNode?: SymbolicTensor;

  constructor(initialValue: TensorLike, options: { name?: string; trainable?: boolean; path?: string } = {}) {
    const value = toTensor(initialValue, 'float32');
    this.handle = callNative(() => new native.NativeVariable(value.handle));
    this.shape = value.shape;
    this.name = options.name ?? 'variable';
    this.path = options.path ?? this.name;
    this.trainable = options.trainable ?? true;
  }

  /** A snapshot of the current value. */
  read(): Tensor {
    return new Tensor(callNative(() => this.handle.read()));
  }

  /** Alias of `read()`, as Keras' `variable.value`. */
  get value(): Tensor {
    return this.read();
  }

  /** Sets the value in place (every model using it sees the new value); it must have the variable's shape. */
  assign(value: TensorLike): void {
    const t = toTensor(value, 'float32');
    callNative(() => this.handle.assign(t.handle, this.path));
  }

  /** The current value (a snapshot), as Keras' `variable.numpy()`. */
  numpy(): Tensor {
    return this.read();
  }

  /** @internal The graph node that reads this weight. */
  get symbolic(): SymbolicTensor {
    this.symbolicNode ??= new SymbolicTensor(this.shape, { op: 'variable' }, [], this.path, this);
    return this.symbolicNode;
  }
}
