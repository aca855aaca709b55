import { ValueError } from '../errors.js';
import { checkOptionNames, describeValue, formatValue } from './options.js';
import { tensor, type DType, type Tensor } from '../tensor.js';

/** A sequence of numbers, or of equal-length vectors (`[[1, 2], [3, 4]]`). */
export type Sequence = ArrayLike<number> | ArrayLike<number>[];

/** The options of `padSequences` (Keras' `pad_sequences`). */
export interface PadSequencesOptions {
  /** Length of every output sequence. Default: the longest input sequence. */
  maxlen?: number;
  /** Default 'int32', as Keras. */
  dtype?: DType;
  /** 'pre' (default) pads at the start, 'post' at the end. */
  padding?: 'pre' | 'post';
  /** 'pre' (default) drops values from the start of longer sequences, 'post' from the end. */
  truncating?: 'pre' | 'post';
  /** The padding value. Default 0. */
  value?: number;
}

function checkSide(value: string, what: string): 'pre' | 'post' {
  if (value !== 'pre' && value !== 'post') throw new ValueError(`${what} type ${formatValue(value)} not understood (expected 'pre' or 'post')`);
  return value;
}

/**
 * Pads (or truncates) sequences to one length (Keras' `keras.utils.pad_sequences`): a tensor of
 * shape [sequences.length, maxlen] (or [n, maxlen, ...vectorShape] for sequences of vectors).
 */
export function padSequences(sequences: Sequence[], options: PadSequencesOptions = {}): Tensor {
  if (!Array.isArray(sequences)) throw new ValueError('`sequences` must be a list of iterables');
  options ??= {}; // null: no options
  checkOptionNames('padSequences', options, ['maxlen', 'dtype', 'padding', 'truncating', 'value']);
  const { dtype = 'int32', value = 0 } = options;
  if (typeof value !== 'number') throw new ValueError(`padSequences: value must be a number, got ${formatValue(value)}`);
  const padding = checkSide(options.padding ?? 'pre', 'Padding');
  const truncating = checkSide(options.truncating ?? 'pre', 'Truncating');
  sequences.forEach((sequence, index) => {
    if (sequence === null || typeof sequence !== 'object' || typeof sequence.length !== 'number') {
      throw new ValueError(`\`sequences\` must be a list of iterables. Found non-iterable: ${String(sequence)} at position ${index}`);
    }
  });
  // The vector shape comes from the first non-empty sequence, as Keras takes it.
  const firstNonEmpty = sequences.find((sequence) => sequence.length > 0);
  const head: unknown = firstNonEmpty?.[0];
  if (firstNonEmpty && typeof head !== 'number' && (head === null || typeof head !== 'object' || typeof (head as ArrayLike<number>).length !== 'number')) {
    throw new ValueError(`padSequences: the entries of a sequence must be numbers or vectors of numbers, got ${describeValue(head)}`);
  }
  const width = firstNonEmpty && typeof firstNonEmpty[0] !== 'number' ? (firstNonEmpty[0] as ArrayLike<number>).length : 0;
  const step = Math.max(width, 1);
  const maxlen = options.maxlen ?? Math.max(0, ...sequences.map((sequence) => sequence.length));
  if (!Number.isInteger(maxlen) || maxlen < 0) throw new ValueError(`maxlen must be a non-negative integer, got ${formatValue(maxlen)}`);
  const out = new Float64Array(sequences.length * maxlen * step).fill(value);
  sequences.forEach((sequence, index) => {
    const length = Math.min(sequence.length, maxlen);
    const from = truncating === 'pre' ? sequence.length - length : 0;
    const to = padding === 'post' ? 0 : maxlen - length;
    for (let t = 0; t < length; t++) {
      const item = sequence[from + t];
      const offset = (index * maxlen + to + t) * step;
      if (typeof item === 'number') {
        if (width !== 0) throw new ValueError(`Shape of sample () of sequence at position ${index} is different from expected shape (${width},)`);
        out[offset] = item;
      } else {
        if (item === null || typeof item !== 'object' || item.length !== width) {
          throw new ValueError(`Shape of sample (${item?.length ?? ''},) of sequence at position ${index} is different from expected shape (${width === 0 ? '' : `${width},`})`);
        }
        for (let k = 0; k < width; k++) out[offset + k] = item[k];
      }
    }
  });
  const shape = width === 0 ? [sequences.length, maxlen] : [sequences.length, maxlen, width];
  // numpy casts the fill value too: 0.5 in an int32 array is 0.
  const cast = dtype === 'float32' ? Float32Array.from(out) : dtype === 'uint8' ? Uint8Array.from(out) : Int32Array.from(out);
  return tensor(cast, shape, dtype);
}
