// Order-only stream operations (take, skip, repeat, buffer shuffle). They work on any items, so
// a dataset sliced from tensors can apply them to row indices and gather whole batches at once.
import { mulberry32 } from '../utils/seeded_random.js';

/** A stream that starts afresh each time it is called. */
export type Stream<T> = () => AsyncIterator<T>;

/** Lets `for await` run over a stream. */
export function iterate<T>(stream: Stream<T>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: stream };
}

export function takeStream<T>(upstream: Stream<T>, count: number): Stream<T> {
  return async function* () {
    if (count === 0) return;
    let taken = 0;
    for await (const item of iterate(upstream)) {
      yield item;
      if (++taken >= count) return;
    }
  };
}

export function skipStream<T>(upstream: Stream<T>, count: number): Stream<T> {
  return async function* () {
    let seen = 0;
    for await (const item of iterate(upstream)) {
      if (seen++ >= count) yield item;
    }
  };
}

/** `count` passes (-1: forever); an empty stream repeated forever stays empty. */
export function repeatStream<T>(upstream: Stream<T>, count: number): Stream<T> {
  return async function* () {
    for (let round = 0; count === -1 || round < count; round++) {
      let produced = false;
      for await (const item of iterate(upstream)) {
        produced = true;
        yield item;
      }
      if (!produced) return;
    }
  };
}

/**
 * tf.data's buffer shuffle: each output is drawn at random from a buffer of `bufferSize` items,
 * refilled from the input. `seedFor()` gives each pass its seed.
 */
export function shuffleStream<T>(upstream: Stream<T>, bufferSize: number, seedFor: () => number): Stream<T> {
  return async function* () {
    const random = mulberry32(seedFor());
    const buffer: T[] = [];
    const draw = () => {
      const j = Math.floor(random() * buffer.length);
      const chosen = buffer[j];
      buffer[j] = buffer[buffer.length - 1];
      buffer.pop();
      return chosen;
    };
    for await (const item of iterate(upstream)) {
      buffer.push(item);
      if (buffer.length === bufferSize) yield draw();
    }
    while (buffer.length > 0) yield draw();
  };
}
