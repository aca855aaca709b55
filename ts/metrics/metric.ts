// The base of the stateful metrics: Keras' update_state / result / reset_state. The batch math
// runs in Rust (the same kernels fit and evaluate use); a metric keeps the accumulated state
// (weighted sums and counts, as Keras' metric variables) and turns it into its result.
import { ShapeError, ValueError } from '../errors.js';
import type * as schema from '../native_schema.js';
import { callNative, native } from '../native.js';
import { type TensorLike, toTensor } from '../tensor.js';
import { uniqueName } from '../utils/naming.js';
import { checkOptionNames } from '../utils/options.js';

/** A metric's result: one number, or one per threshold or class. */
export type MetricResult = number | number[];

/** @internal What the Rust kernels accumulate for a metric: a kind and its settings (kiln-core's `MetricKind`). */
export type MetricSpec = schema.MetricKind;

/** Options every metric takes; unknown keys are refused. */
export interface MetricArgs {
  /** The key in logs and History. Default: Keras' name of the metric. */
  name?: string;
  /** Only 'float32' (kiln's metrics compute in float32 and accumulate in float64). */
  dtype?: string;
}

/**
 * Base of kiln's metrics. A subclass describes what the kernels accumulate (`spec`, with the
 * state's size) and how the state becomes the result (`resultFromState`).
 */
export abstract class Metric<R extends MetricResult = number> {
  /** The metric's name: its key in logs and History. */
  name: string;
  /** Always 'float32'. */
  readonly dtype: string;
  private state?: Float64Array;

  /**
   * `defaultName` is Keras' default; `unique` numbers it ('precision', 'precision_1', ...)
   * for the metrics whose Keras default name is automatic.
   */
  /** The option names a metric class adds to `name` and `dtype` (its ancestors' count too), so unknown ones are refused. */
  protected static readonly ownOptions: readonly string[] = [];

  protected constructor(args: MetricArgs = {}, defaultName: string, unique = false) {
    const known = ['name', 'dtype'];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Metric; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, 'ownOptions')) known.push(...(c as typeof Metric).ownOptions);
    }
    checkOptionNames(new.target.name, args, known);
    if (args.dtype !== undefined && args.dtype !== 'float32') {
      throw new ValueError(`${defaultName}: dtype must be 'float32', got ${JSON.stringify(args.dtype)}`);
    }
    this.name = args.name ?? (unique ? uniqueName(defaultName) : defaultName);
    this.dtype = 'float32';
  }

  /** @internal The kernels' description of this metric. */
  abstract spec(): MetricSpec;

  /** @internal The state's length for predictions with `classes` values on the last axis (the kernels' rule). */
  stateSize(classes: number): number {
    return callNative(() => native.metricStateLen(JSON.stringify(this.spec()), classes));
  }

  /** @internal The result of an accumulated state. */
  abstract resultFromState(state: Float64Array): R;

  /**
   * Accumulates one batch. `sampleWeight` holds one weight per sample (or per value, where
   * Keras broadcasts it so), or one for all.
   */
  updateState(yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike): void {
    this.accumulate(yTrue, yPred, sampleWeight);
  }

  /** @internal Runs the kernel on one batch and adds its state. */
  protected accumulate(yTrue: TensorLike | undefined, yPred: TensorLike, sampleWeight?: TensorLike): void {
    const pred = toTensor(yPred, 'float32');
    const truth = yTrue === undefined ? undefined : toTensor(yTrue, 'float32');
    const weights = sampleWeight === undefined ? undefined : toTensor(sampleWeight, 'float32');
    const delta = callNative(() => native.metricUpdate(JSON.stringify(this.spec()), truth?.handle, pred.handle, weights?.handle));
    this.addState(delta);
  }

  /** @internal Adds a batch's state (from the kernels) to the accumulated one. */
  addState(delta: Float64Array): void {
    if (!this.state) {
      this.state = Float64Array.from(delta);
      return;
    }
    if (this.state.length !== delta.length) {
      throw new ShapeError(
        `Metric "${this.name}" was updated with predictions of another shape than before: its state holds ${this.state.length} values, this batch gives ${delta.length}. Call resetState() first.`,
      );
    }
    for (let i = 0; i < delta.length; i++) this.state[i] += delta[i];
  }

  /** @internal Replaces the accumulated state (fit and evaluate write theirs back here). */
  setState(state: Float64Array): void {
    this.state = Float64Array.from(state);
  }

  /** The metric's value over everything accumulated since the last reset. */
  result(): R {
    return this.resultFromState(this.state ?? new Float64Array(this.stateSize(1)));
  }

  /** Forgets everything accumulated, as Keras' `reset_state`: the next `result()` is that of no data. */
  resetState(): void {
    this.state = undefined;
  }

  /** The constructor arguments: `new TheMetric(metric.getConfig())` makes an equivalent metric. */
  getConfig(): Record<string, unknown> {
    return { name: this.name, dtype: this.dtype };
  }

  /** @internal A fresh metric with the same configuration (for another output of a model). */
  clone(): Metric<R> {
    const Class = this.constructor as new (config: Record<string, unknown>) => Metric<R>;
    return new Class(this.getConfig());
  }
}

/** Keras' divide_no_nan: 0 where the denominator is 0. */
export function divideNoNan(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
