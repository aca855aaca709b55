import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import { Tensor, tensor, toTensor, type TensorLike } from '../../tensor.js';
import type { Variable } from '../../variable.js';
import { resolveAxes } from '../axes.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument } from '../main_arguments.js';
import { formatValue } from '../../utils/options.js';

/** A list of numbers nested to any depth (a mean or variance given per position). */
type NestedNumbers = number | NestedNumbers[];

export interface NormalizationArgs extends LayerArgs {
  /**
   * The axis or axes with a separate mean and variance per position (default -1: per feature);
   * `null` for one mean and variance over everything.
   */
  axis?: number | number[] | null;
  /** The mean to subtract; with `variance`, instead of `adapt()`. Broadcast over the kept axes. */
  mean?: NestedNumbers;
  /** The variance to divide by the root of; given with `mean`. */
  variance?: NestedNumbers;
  /** Undo the normalisation instead: mean + x · sqrt(variance). Default false. */
  invert?: boolean;
}

/** Data `adapt()` reads: a tensor, or batches of one (a kiln.data.Dataset, arrays, generators). */
export type AdaptData = TensorLike | AsyncIterable<TensorLike | TensorLike[]> | Iterable<Tensor>;

/** Keras' smallest standard deviation divided by (backend.epsilon()). */
const EPSILON = 1e-7;

function flatten(value: NestedNumbers): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let v: NestedNumbers = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  const values = [value].flat(Infinity as 1) as number[];
  if (values.length !== shape.reduce((a, b) => a * b, 1) || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new ValueError(`expected a number or a regular nested list of numbers, got ${formatValue(value).slice(0, 80)}`);
  }
  return { values, shape };
}

/** Running mean and variance over batches, combined as Keras' adapt() combines them. */
class RunningMoments {
  count = 0;
  mean: Float64Array;
  variance: Float64Array;

  constructor(size: number) {
    this.mean = new Float64Array(size);
    this.variance = new Float64Array(size);
  }

  /** Adds a batch whose values for kept position p are `values[k * size + p]` for each k. */
  add(batchMean: Float64Array, batchVariance: Float64Array, batchCount: number): void {
    this.count += batchCount;
    const batchWeight = batchCount / this.count;
    const existingWeight = 1 - batchWeight;
    for (let p = 0; p < this.mean.length; p++) {
      const mean = this.mean[p] * existingWeight + batchMean[p] * batchWeight;
      this.variance[p] = (this.variance[p] + (this.mean[p] - mean) ** 2) * existingWeight + (batchVariance[p] + (batchMean[p] - mean) ** 2) * batchWeight;
      this.mean[p] = mean;
    }
  }
}

/**
 * Shifts and scales inputs to mean 0 and variance 1 per position of `axis`:
 * (x - mean) / sqrt(variance), with the mean and variance given, or learnt from data by
 * `await layer.adapt(data)` (then saved as the layer's weights, as Keras saves them).
 */
export class Normalization extends Layer {
  /** The axes with their own mean and variance. */
  readonly axis: number[];
  /** Whether it undoes the normalisation (x · sqrt(variance) + mean). */
  readonly invert: boolean;
  /** The mean given, if any. */
  readonly inputMean?: NestedNumbers;
  /** The variance given, if any. */
  readonly inputVariance?: NestedNumbers;
  /** Adapted statistics (when no mean and variance were given). */
  adaptMean?: Variable;
  /** The variance learnt by adapt(). */
  adaptVariance?: Variable;
  /** The number of samples adapt() saw. */
  count?: Variable;
  private keepAxes: number[] = [];
  private broadcastShape: number[] = [];
  private buildShape?: Shape;

  constructor(args: NormalizationArgs = {}) {
    super(args, ['axis', 'mean', 'variance', 'invert']);
    args ??= {}; // null: Layer accepted it as no options
    this.supportsMasking = true;
    const axis = args.axis === undefined ? -1 : args.axis;
    const axes = axis === null ? [] : Array.isArray(axis) ? axis : [axis];
    if (!axes.every(Number.isInteger)) throw new ValueError(`Layer "${this.name}": \`axis\` must be an integer, a list of integers or null, got ${describeArgument(axis)}`);
    this.axis = axes;
    this.invert = args.invert ?? false;
    if ((args.mean === undefined) !== (args.variance === undefined)) {
      throw new ValueError(
        `Layer "${this.name}": when setting values directly, both \`mean\` and \`variance\` must be set. Received: mean=${formatValue(args.mean)} and variance=${formatValue(args.variance)}`,
      );
    }
    if (args.mean !== undefined && args.variance !== undefined) {
      const check = (name: string, value: NestedNumbers) => {
        try {
          return flatten(value);
        } catch (error) {
          throw new ValueError(`Layer "${this.name}": \`${name}\`: ${(error as Error).message}`);
        }
      };
      const [mean, variance] = [check('mean', args.mean), check('variance', args.variance)];
      if (mean.shape.join() !== variance.shape.join())
        throw new ValueError(`Layer "${this.name}": \`mean\` and \`variance\` must have the same shape. Received: mean shape [${mean.shape}] and variance shape [${variance.shape}]`);
      if (mean.shape.length > this.axis.length)
        throw new ValueError(
          `Layer "${this.name}": the rank of \`mean\` must be less than or equal to the number of axes (${this.axis.length}). Received: mean shape [${mean.shape}] for axis ${JSON.stringify(this.axis)}`,
        );
      if (variance.values.some((v) => v < 0)) throw new ValueError(`Layer "${this.name}": \`variance\` must not be negative, got ${formatValue(args.variance).slice(0, 80)}`);
      this.inputMean = args.mean;
      this.inputVariance = args.variance;
    }
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    this.keepAxes = this.axis.length === 0 ? [] : resolveAxes(this.name, this.axis, shape.length, true);
    for (const a of this.keepAxes) {
      if (shape[a] === null)
        throw new ValueError(
          `Layer "${this.name}": all \`axis\` values to be kept must have a known shape. Received axis=${JSON.stringify(this.axis)}, inputs.shape=[${shape.map((d) => d ?? 'null')}], with unknown axis at index ${a}`,
        );
    }
    this.buildShape = shape;
    this.broadcastShape = shape.map((d, a) => (this.keepAxes.includes(a) ? (d as number) : 1));
    const kept = this.keepAxes.map((a) => shape[a] as number);
    if (this.inputMean === undefined) {
      // Keras' order and names: mean, variance, count (kept for older files).
      this.adaptMean = this.addWeight({ name: 'mean', shape: kept, initializer: 'zeros', trainable: false });
      this.adaptVariance = this.addWeight({ name: 'variance', shape: kept, initializer: 'ones', trainable: false });
      this.count = this.addWeight({ name: 'count', shape: [], initializer: 'zeros', trainable: false });
    }
  }

  /** The mean and variance in the input's broadcast shape. */
  private statistics(): [Tensor | Variable | LayerInput, Tensor | Variable | LayerInput] {
    if (this.adaptMean && this.adaptVariance) {
      return [ops.reshape(this.adaptMean, this.broadcastShape) as LayerInput, ops.reshape(this.adaptVariance, this.broadcastShape) as LayerInput];
    }
    // Given values align with the kept axes from the right (a scalar fits any).
    const place = (value: NestedNumbers) => {
      const { values, shape } = flatten(value);
      const expanded = this.broadcastShape.map(() => 1);
      shape.forEach((d, i) => (expanded[this.keepAxes[this.keepAxes.length - shape.length + i]] = d));
      return tensor(values, expanded);
    };
    return [place(this.inputMean!), place(this.inputVariance!)];
  }

  call(inputs: LayerInput): LayerOutput {
    const [mean, variance] = this.statistics();
    const deviation = ops.maximum(ops.sqrt(variance), EPSILON);
    if (this.invert) return ops.add(mean, ops.mul(inputs, deviation));
    return ops.div(ops.sub(inputs, mean), deviation);
  }

  /**
   * Computes the mean and variance of `data` for each position of the kept axes (Keras'
   * `adapt`): a tensor (or array) at once, or batches from a kiln.data.Dataset, a list or a
   * generator, combined exactly. Builds the layer from the data's shape when needed.
   */
  async adapt(data: AdaptData): Promise<void> {
    if (this.inputMean !== undefined) throw new ValueError(`Layer "${this.name}": adapt() cannot change the mean and variance given to the constructor`);
    const batches = isBatches(data) ? data : [toTensor(data as TensorLike, 'float32')];
    let moments: RunningMoments | undefined;
    for await (const element of batches as AsyncIterable<TensorLike | TensorLike[]>) {
      // Dataset elements may be (x, y) pairs: x is what the layer normalises.
      const batch = toTensor(Array.isArray(element) && element.length > 0 && element.every((e) => e instanceof Tensor) ? (element[0] as Tensor) : (element as TensorLike), 'float32');
      if (!this.built) {
        this.build(batch.shape);
        this.built = true;
      }
      this.checkAdaptShape(batch.shape);
      const { mean, variance, count } = this.batchMoments(batch);
      moments ??= new RunningMoments(mean.length);
      moments.add(mean, variance, count);
    }
    if (!moments || moments.count === 0)
      throw new ValueError(`Layer "${this.name}": adapt() received no data (an empty tensor or no batches); expected at least one value per position of axis ${JSON.stringify(this.axis)}`);
    const kept = this.keepAxes.map((a) => this.buildShape![a] as number);
    this.adaptMean!.assign(tensor(Float32Array.from(moments.mean), kept));
    this.adaptVariance!.assign(tensor(Float32Array.from(moments.variance), kept));
  }

  private checkAdaptShape(shape: Shape): void {
    const expected = this.buildShape!;
    const clash = shape.length !== expected.length || this.keepAxes.some((a) => shape[a] !== expected[a]);
    if (clash)
      throw new ValueError(
        `Layer "${this.name}": the layer was built with input_shape=[${expected.map((d) => d ?? 'null')}], but adapt() is being called with data of an incompatible shape, data.shape=[${shape.map((d) => d ?? 'null')}]`,
      );
  }

  /** One batch's mean and (population) variance per kept position, and the values per position. */
  private batchMoments(batch: Tensor): { mean: Float64Array; variance: Float64Array; count: number } {
    const shape = batch.shape as number[];
    const values = batch.dataSync();
    const size = this.keepAxes.reduce((n, a) => n * shape[a], 1);
    const count = size === 0 ? 0 : values.length / size;
    const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, d) => p * d, 1));
    const keptStrides = this.keepAxes.map((a, i) => this.keepAxes.slice(i + 1).reduce((p, b) => p * shape[b], 1));
    const position = (index: number) => this.keepAxes.reduce((p, a, i) => p + (Math.floor(index / strides[a]) % shape[a]) * keptStrides[i], 0);
    const sum = new Float64Array(size);
    for (let i = 0; i < values.length; i++) sum[position(i)] += values[i];
    const mean = sum.map((s) => s / count);
    const squares = new Float64Array(size);
    for (let i = 0; i < values.length; i++) squares[position(i)] += (values[i] - mean[position(i)]) ** 2;
    return { mean, variance: squares.map((s) => s / count), count };
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis, invert: this.invert, mean: this.inputMean ?? null, variance: this.inputVariance ?? null };
  }
}

function isBatches(data: AdaptData): boolean {
  if (data instanceof Tensor || ArrayBuffer.isView(data)) return false;
  // A plain nested array is one tensor, unless it is a list of tensors (batches).
  if (Array.isArray(data)) return data.length > 0 && data.every((d) => d instanceof Tensor);
  return typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || typeof (data as Iterable<unknown>)[Symbol.iterator] === 'function';
}
