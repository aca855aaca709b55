// kiln.data.Dataset: a re-iterable, lazily computed stream of elements, as tf.data.Dataset.
// Each iteration (each epoch of fit) calls the source again, so nothing is held in memory
// unless `cache()` asks for it.
import { ShapeError, ValueError } from '../errors.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { drawSeed } from '../utils/seeded_random.js';
import { type Element, type ElementLike, leaves, shapeText, stackElements, structureOf, toElement } from './element.js';
import { csvSource, type CsvOptions } from './csv_source.js';
import { iterate, repeatStream, shuffleStream, skipStream, takeStream, type Stream } from './streams.js';
import { tensorSlices, type TensorSlices } from './tensor_slices.js';

/** `cardinality()` of a dataset that never ends (`repeat()`), as tf.data.INFINITE_CARDINALITY. */
export const INFINITE_CARDINALITY = -1;
/** `cardinality()` when it cannot be known without iterating (generators, `filter`). */
export const UNKNOWN_CARDINALITY = -2;

/**
 * The arguments `map` and `filter` functions receive: the element itself, or a tuple's
 * components (`(x, y) => ...`).
 */
export type ElementArgs<E extends Element> = [E] extends [Tensor] ? [Tensor] : [E] extends [Tensor | Tensor[]] ? Tensor[] : Element[];

/** A source of elements: called once per iteration. */
type Source = Stream<Element>;

/**
 * A dataset still made of rows of in-memory tensors, in the order `indices` gives: shuffle,
 * take, skip and repeat reorder the indices, and batch gathers each batch's rows in one copy.
 */
interface RowSource {
  slices: TensorSlices;
  indices: Stream<number>;
}

/** The options of `dataset.batch()`. */
export interface BatchOptions {
  /** Drop the last batch when it has fewer than `batchSize` elements. Default false. */
  dropRemainder?: boolean;
}

/** The options of `dataset.shuffle()`. */
export interface ShuffleOptions {
  /** Draw a new order each iteration (each epoch). Default true, as tf.data. */
  reshuffleEachIteration?: boolean;
}

/** The options of `Dataset.fromGenerator()`. */
export interface FromGeneratorOptions {
  /** Known number of elements, for progress bars (tf.data's `assert_cardinality`). */
  cardinality?: number;
}

function nonNegativeInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0) throw new ValueError(`${what} must be a non-negative integer, got ${value}`);
  return value;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new ValueError(`${what} must be a positive integer, got ${value}`);
  return value;
}

function isFiniteCardinality(cardinality: number): boolean {
  return cardinality >= 0;
}

/**
 * A stream of elements (tensors or tuples of tensors) that `fit`, `evaluate` and `predict`
 * consume batch by batch, so data larger than memory can train a model. Transformations return
 * new datasets and run lazily, each time the dataset is iterated.
 *
 * ```ts
 * const ds = kiln.data.Dataset.fromTensors([x, y]).shuffle(1000, 42).batch(32).prefetch(2);
 * await model.fit(ds, { epochs: 5 });
 * for await (const [xBatch, yBatch] of ds) { ... }
 * ```
 */
export class Dataset<E extends Element = Element> implements AsyncIterable<E> {
  /** @internal */
  constructor(
    private readonly source: Source,
    private readonly size: number,
    private readonly rows?: RowSource,
  ) {}

  /** A dataset of `slices`' rows in the order of `indices`. */
  private static ofRows(slices: TensorSlices, indices: Stream<number>, size: number): Dataset<Element> {
    return new Dataset(
      async function* () {
        for await (const index of iterate(indices)) yield slices.row(index);
      },
      size,
      { slices, indices },
    );
  }

  /**
   * Slices a tensor, or each tensor of a tuple, along its first axis: element i is
   * `x[i]` (or `[x[i], y[i]]`). tf.data's `from_tensor_slices`.
   */
  static fromTensors(tensors: TensorLike): Dataset<Tensor>;
  static fromTensors(tensors: TensorLike[]): Dataset<Tensor[]>;
  static fromTensors(tensors: TensorLike | TensorLike[]): Dataset<Element> {
    const slices = tensorSlices(tensors);
    return Dataset.ofRows(
      slices,
      async function* () {
        for (let i = 0; i < slices.count; i++) yield i;
      },
      slices.count,
    );
  }

  /**
   * Elements from a function returning a (sync or async) iterable, such as a generator
   * function; it is called again for each iteration. The first element fixes the structure and
   * the shapes (all but the first axis, which may vary, as for batches of different sizes);
   * an element that changes them fails with its index.
   */
  static fromGenerator<T extends Element = Tensor | Tensor[]>(generator: () => Iterable<ElementLike> | AsyncIterable<ElementLike>, options: FromGeneratorOptions = {}): Dataset<T> {
    if (typeof generator !== 'function') {
      throw new ValueError(`Dataset.fromGenerator: \`generator\` must be a function returning an iterable (a generator function), got ${typeof generator}`);
    }
    const size = options.cardinality === undefined ? UNKNOWN_CARDINALITY : nonNegativeInteger(options.cardinality, 'Dataset.fromGenerator: cardinality');
    return new Dataset(async function* () {
      const iterable = generator();
      if (!iterable || (typeof (iterable as AsyncIterable<ElementLike>)[Symbol.asyncIterator] !== 'function' && typeof (iterable as Iterable<ElementLike>)[Symbol.iterator] !== 'function')) {
        throw new ValueError('Dataset.fromGenerator: the generator function must return an iterable or async iterable');
      }
      let first: Element | undefined;
      let index = 0;
      for await (const value of iterable as AsyncIterable<ElementLike>) {
        const element = toElement(value, `Dataset.fromGenerator: element ${index}`);
        if (first === undefined) first = element;
        else checkSameSignature(first, element, index, 'Dataset.fromGenerator');
        index++;
        yield element;
      }
    }, size);
  }

  /**
   * The rows of a CSV file of numbers, read as a stream (tf.data's `make_csv_dataset`, unbatched):
   * each element is a float32 vector of the feature columns, or `[features, label]` when
   * `labelName` is given. A field that is not a number fails with the file, line and column.
   */
  static fromCsv(path: string, options: CsvOptions = {}): Dataset<Tensor | Tensor[]> {
    return new Dataset(csvSource(path, options), UNKNOWN_CARDINALITY);
  }

  /** @internal The same stream with another source and size. */
  private derive<R extends Element>(source: Source, size: number): Dataset<R> {
    return new Dataset<R>(source, size);
  }

  /** Applies an order-only operation to the row indices when there are rows, else to the elements. */
  private reorder(operation: <T>(upstream: Stream<T>) => Stream<T>, size: number): Dataset<E> {
    if (this.rows) return Dataset.ofRows(this.rows.slices, operation(this.rows.indices), size) as Dataset<E>;
    return this.derive(operation(this.source), size);
  }

  /**
   * The number of elements, or INFINITE_CARDINALITY (-1) after `repeat()`, or
   * UNKNOWN_CARDINALITY (-2) when only iterating can tell (generators, `filter`).
   */
  cardinality(): number {
    return this.size;
  }

  /** Iterates the elements: `for await (const element of dataset)`. Each iteration starts a new pass. */
  [Symbol.asyncIterator](): AsyncIterator<E> {
    return this.source() as AsyncIterator<E>;
  }

  /** Every element, in order (only for finite datasets that fit in memory). */
  async toArray(): Promise<E[]> {
    if (this.size === INFINITE_CARDINALITY) throw new ValueError('Dataset.toArray: the dataset is infinite (repeat() without a count)');
    const out: E[] = [];
    for await (const element of this) out.push(element);
    return out;
  }

  /**
   * Applies `fn` to each element; a tuple's components are passed as separate arguments
   * (`ds.map((x, y) => [x.div(255), y])`). `fn` may be async.
   */
  map<R extends Element = Element>(fn: (...args: ElementArgs<E>) => ElementLike | Promise<ElementLike>): Dataset<R> {
    if (typeof fn !== 'function') throw new ValueError(`Dataset.map: expected a function, got ${typeof fn}`);
    const upstream = this.source;
    return this.derive(async function* () {
      let index = 0;
      for await (const element of iterate(upstream)) {
        yield toElement(await fn(...(spread(element) as ElementArgs<E>)), `Dataset.map: the result for element ${index++}`);
      }
    }, this.size);
  }

  /** Keeps the elements for which `predicate` returns true (or a nonzero scalar tensor). */
  filter(predicate: (...args: ElementArgs<E>) => boolean | Tensor | Promise<boolean | Tensor>): Dataset<E> {
    if (typeof predicate !== 'function') throw new ValueError(`Dataset.filter: expected a function, got ${typeof predicate}`);
    const upstream = this.source;
    return this.derive(
      async function* () {
        let index = 0;
        for await (const element of iterate(upstream)) {
          const keep = await predicate(...(spread(element) as ElementArgs<E>));
          if (truthy(keep, index++)) yield element;
        }
      },
      this.size === INFINITE_CARDINALITY ? INFINITE_CARDINALITY : UNKNOWN_CARDINALITY,
    );
  }

  /** Stacks runs of `batchSize` consecutive elements along a new first axis. */
  batch(batchSize: number, options: BatchOptions = {}): Dataset<E> {
    positiveInteger(batchSize, 'Dataset.batch: batchSize');
    const dropRemainder = options.dropRemainder ?? false;
    const upstream = this.source;
    const size = isFiniteCardinality(this.size) ? (dropRemainder ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize)) : this.size;
    if (this.rows) {
      const { slices, indices } = this.rows;
      return this.derive(async function* () {
        let pending: number[] = [];
        for await (const index of iterate(indices)) {
          pending.push(index);
          if (pending.length === batchSize) {
            yield slices.gather(pending);
            pending = [];
          }
        }
        if (pending.length > 0 && !dropRemainder) yield slices.gather(pending);
      }, size);
    }
    return this.derive(async function* () {
      let pending: Element[] = [];
      let index = 0;
      let first: Element | undefined;
      for await (const element of iterate(upstream)) {
        first ??= element;
        pending.push(element);
        if (pending.length === batchSize) {
          yield stackElements(pending, index, 'Dataset.batch', first);
          index += pending.length;
          pending = [];
        }
      }
      if (pending.length > 0 && !dropRemainder) yield stackElements(pending, index, 'Dataset.batch', first);
    }, size);
  }

  /**
   * Shuffles with a buffer of `bufferSize` elements, as tf.data: each output is drawn at random
   * from the buffer, which is refilled from the input. A buffer at least as large as the dataset
   * gives a uniform shuffle. `seed` makes the order repeatable (else `kiln.setSeed` does).
   */
  shuffle(bufferSize: number, seed?: number, options: ShuffleOptions = {}): Dataset<E> {
    positiveInteger(bufferSize, 'Dataset.shuffle: bufferSize');
    if (seed !== undefined && !Number.isInteger(seed)) throw new ValueError(`Dataset.shuffle: seed must be an integer, got ${seed}`);
    const reshuffle = options.reshuffleEachIteration ?? true;
    const baseSeed = seed ?? drawSeed();
    let iteration = 0;
    const seedFor = () => baseSeed + (reshuffle ? iteration++ : 0) * 0x9e3779b9;
    return this.reorder((upstream) => shuffleStream(upstream, bufferSize, seedFor), this.size);
  }

  /** Repeats the dataset `count` times; forever when `count` is omitted or -1. */
  repeat(count = -1): Dataset<E> {
    if (count !== -1) nonNegativeInteger(count, 'Dataset.repeat: count');
    const size = count === -1 ? (this.size === 0 ? 0 : INFINITE_CARDINALITY) : isFiniteCardinality(this.size) ? this.size * count : this.size;
    return this.reorder((upstream) => repeatStream(upstream, count), size);
  }

  /** The first `count` elements (all of them when -1). */
  take(count: number): Dataset<E> {
    if (count === -1) return this;
    nonNegativeInteger(count, 'Dataset.take: count');
    const size = isFiniteCardinality(this.size) ? Math.min(this.size, count) : this.size === INFINITE_CARDINALITY ? count : UNKNOWN_CARDINALITY;
    return this.reorder((upstream) => takeStream(upstream, count), size);
  }

  /** Everything after the first `count` elements. */
  skip(count: number): Dataset<E> {
    nonNegativeInteger(count, 'Dataset.skip: count');
    const size = isFiniteCardinality(this.size) ? Math.max(0, this.size - count) : this.size;
    return this.reorder((upstream) => skipStream(upstream, count), size);
  }

  /**
   * Prepares up to `bufferSize` elements ahead of the consumer, so producing the next batch
   * (JavaScript work: reading, decoding, map) overlaps with training on the current one
   * (native work on other threads).
   */
  prefetch(bufferSize = 1): Dataset<E> {
    positiveInteger(bufferSize, 'Dataset.prefetch: bufferSize');
    const upstream = this.source;
    return this.derive(async function* () {
      const iterator = upstream();
      const queue: Promise<IteratorResult<Element>>[] = [];
      try {
        for (;;) {
          while (queue.length <= bufferSize) queue.push(iterator.next());
          const result = await queue.shift()!;
          if (result.done) return;
          yield result.value;
        }
      } finally {
        // Settle what was requested ahead, so no rejection goes unhandled, then close the source.
        await Promise.allSettled(queue);
        await iterator.return?.();
      }
    }, this.size);
  }

  /**
   * Keeps the elements of the first complete iteration in memory and replays them afterwards,
   * so the work before `cache()` (reading, decoding, map) runs once.
   */
  cache(): Dataset<E> {
    const upstream = this.source;
    let cached: Element[] | undefined;
    return this.derive(async function* () {
      if (cached) {
        yield* cached;
        return;
      }
      const recording: Element[] = [];
      for await (const element of iterate(upstream)) {
        recording.push(element);
        yield element;
      }
      cached = recording; // only a complete pass is kept, as tf.data does
    }, this.size);
  }
}

function spread(element: Element): Element[] {
  return element instanceof Tensor ? [element] : element;
}

function truthy(value: boolean | Tensor, index: number): boolean {
  if (typeof value === 'boolean') return value;
  if (value instanceof Tensor && value.size === 1) return value.dataSync()[0] !== 0;
  throw new ValueError(
    `Dataset.filter: the predicate must return a boolean or a scalar tensor; for element ${index} it returned ${value instanceof Tensor ? `a tensor of shape ${shapeText(value.shape)}` : typeof value}`,
  );
}

/** Generators may yield batches of varying length, so only the first axis may change. */
function checkSameSignature(first: Element, element: Element, index: number, what: string): void {
  if (structureOf(element) !== structureOf(first)) {
    throw new ValueError(`${what}: element ${index} has structure ${structureOf(element)}, but earlier elements had ${structureOf(first)}`);
  }
  const expected = leaves(first);
  leaves(element).forEach((leaf, k) => {
    const want = expected[k];
    const component = expected.length > 1 ? ` (component ${k})` : '';
    if (leaf.rank !== want.rank || leaf.shape.some((d, axis) => axis > 0 && d !== want.shape[axis])) {
      throw new ShapeError(`${what}: element ${index}${component} has shape ${shapeText(leaf.shape)}, but earlier elements had ${shapeText(want.shape)}; only the first axis may change`);
    }
    if (leaf.dtype !== want.dtype) {
      throw new ValueError(`${what}: element ${index}${component} has dtype ${leaf.dtype}, but earlier elements had ${want.dtype}`);
    }
  });
}
