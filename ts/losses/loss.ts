import { ShapeError, ValueError } from '../errors.js';
import { callNative, native } from '../native.js';
import type * as schema from '../native_schema.js';
import { isSymbolic } from '../ops/recording.js';
import { SymbolicTensor } from '../symbolic.js';
import * as ops from '../ops.js';
import type * as lossNames from './names.js';
import { recordedLossValues } from './recorded_losses.js';
import { type Tensor, tensor, toTensor, type TensorLike } from '../tensor.js';
import { checkOptionNames, describeValue } from '../utils/options.js';
import { type Assert, everyMember, type Same } from '../utils/type_lists.js';

/** The engine's loss kinds (Keras' function names, kiln-core's `LossKind`). */
export type LossKind = schema.LossKind;

// names.ts exports each kind under its name: this fails to compile when the two lists differ.
// biome-ignore lint/correctness/noUnusedVariables: the alias exists only to be type-checked
type NamesAreTheKinds = Assert<Same<(typeof lossNames)[keyof typeof lossNames], LossKind>>;

/** @internal What the engine computes: a kind and its settings (kiln-core's `Loss`). */
export type LossSpec = schema.Loss;

/**
 * How per-sample losses become one number: 'sum_over_batch_size' (default) and 'mean' divide
 * the weighted sum by the number of values, 'sum' keeps it, 'mean_with_sample_weight' divides
 * by the sum of the sample weights; 'none' (for `apply` only) returns the weighted values.
 */
export type Reduction = schema.Reduction | 'none';

const REDUCTIONS: readonly Reduction[] = everyMember<Reduction>()(['sum_over_batch_size', 'mean', 'sum', 'mean_with_sample_weight', 'none']);

/** Options every loss takes; unknown keys are refused. */
export interface LossArgs {
  /** Default: Keras' name of the loss ('categorical_crossentropy', 'huber_loss', ...). */
  name?: string;
  /** Default 'sum_over_batch_size'. */
  reduction?: Reduction | null;
}

/**
 * Base of the loss classes. The loss itself runs in the engine (in Rust), averaged over the
 * batch as Keras' default 'sum_over_batch_size' reduction does; a subclass names its kind and
 * settings.
 */
export abstract class Loss {
  /** The loss's name (its log key in a multi-output model). */
  readonly name: string;
  /** How per-sample losses are reduced (default 'sum_over_batch_size'; null gives 'none'). */
  readonly reduction: Reduction;

  protected constructor(
    /** @internal */ readonly kind: LossKind | 'custom',
    args: LossArgs,
    defaultName: string,
    /** The subclass's own option names, so unknown ones are refused. */
    ownOptions: readonly string[] = [],
  ) {
    checkOptionNames(new.target.name, args, ['name', 'reduction', ...ownOptions]);
    this.name = args.name ?? defaultName;
    this.reduction = args.reduction === null ? 'none' : (args.reduction ?? 'sum_over_batch_size');
    if (!REDUCTIONS.includes(this.reduction)) {
      throw new ValueError(
        `Invalid value for argument \`reduction\`. Expected one of ${REDUCTIONS.map((r) => `'${r}'`).join(', ')}. Received: reduction=${typeof args.reduction === 'string' ? args.reduction : describeValue(args.reduction)}`,
      );
    }
  }

  /**
   * Each sample's loss, unreduced (Keras' `Loss.call`): one value per sample, over all its
   * non-batch axes.
   */
  call(yTrue: TensorLike | SymbolicTensor, yPred: TensorLike | SymbolicTensor): Tensor | SymbolicTensor {
    // On symbolic tensors (inside a layer's call, a custom loss): recorded with kiln.ops.
    if (this.kind !== 'custom' && isSymbolic([yTrue, yPred])) return recordedLossValues(this.spec(), yTrue, yPred, this.name);
    const [t, p] = [toTensor(yTrue as TensorLike, 'float32'), toTensor(yPred as TensorLike, 'float32')];
    if (p.rank === 0) throw new ShapeError(`${this.name}: yPred needs a batch axis, got a scalar`);
    const values = callNative(() => native.lossValues(JSON.stringify(this.spec()), t.handle, p.handle));
    return tensor(values, [p.shape[0]]);
  }

  /** `apply`'s reduction recorded with kiln.ops (inside a graph or valueAndGrad). */
  private reduceTraced(values: SymbolicTensor, sampleWeight?: TensorLike): SymbolicTensor {
    let weighted: SymbolicTensor = values;
    let weights: Tensor | undefined;
    if (sampleWeight !== undefined) {
      weights = toTensor(sampleWeight, 'float32');
      const perSample = [weights.size, ...values.shape.slice(1).map(() => 1)];
      weighted = ops.mul(values, weights.reshape(perSample)) as SymbolicTensor;
    }
    switch (this.reduction) {
      case 'none':
        return weighted;
      case 'sum':
        return ops.sum(weighted) as SymbolicTensor;
      case 'mean_with_sample_weight':
        return (weights ? ops.div(ops.sum(weighted), ops.sum(weights)) : ops.mean(weighted)) as SymbolicTensor;
      default:
        return ops.mean(weighted) as SymbolicTensor;
    }
  }

  /**
   * The loss of a batch, reduced as `reduction` says, each sample's value first multiplied by
   * its `sampleWeight` (Keras' `loss(yTrue, yPred, sampleWeight)`).
   */
  apply(yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike): Tensor;
  apply(yTrue: TensorLike | SymbolicTensor, yPred: SymbolicTensor, sampleWeight?: TensorLike): SymbolicTensor;
  apply(yTrue: TensorLike | SymbolicTensor, yPred: TensorLike | SymbolicTensor, sampleWeight?: TensorLike): Tensor | SymbolicTensor {
    const values = this.call(yTrue, yPred);
    if (values instanceof SymbolicTensor) return this.reduceTraced(values, sampleWeight);
    if (values.rank === 0) return values;
    const data = values.dataSync() as Float32Array;
    const rows = values.shape[0];
    const perRow = data.length / Math.max(rows, 1);
    const weights = sampleWeight === undefined ? undefined : Float32Array.from(toTensor(sampleWeight, 'float32').dataSync());
    if (weights && weights.length !== rows) {
      throw new ValueError(`${this.name}: sampleWeight must have one value per sample (${rows}), got ${weights.length}`);
    }
    const weighted = weights ? data.map((v, i) => v * weights[Math.floor(i / perRow)]) : data;
    if (this.reduction === 'none') return tensor(weighted, values.shape);
    let sum = 0;
    for (const v of weighted) sum += v;
    let divisor = data.length;
    if (this.reduction === 'sum') divisor = 1;
    else if (this.reduction === 'mean_with_sample_weight' && weights) divisor = weights.reduce((a, b) => a + b, 0);
    return tensor([divisor === 0 ? 0 : sum / divisor], []);
  }

  /** @internal The engine's description of the loss. */
  spec(): LossSpec {
    return { kind: this.kind as LossKind };
  }

  /** The constructor arguments (Keras' `get_config`, in kiln's spelling). */
  getConfig(): Record<string, unknown> {
    return { name: this.name, reduction: this.reduction };
  }
}

/** `labelSmoothing` checked as Keras does: a number in [0, 1]. */
export function checkLabelSmoothing(value: number, loss: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new ValueError(`${loss}: \`labelSmoothing\` must be a number between 0 and 1, got ${String(value)}`);
  }
  return value;
}
