import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { checkOptionNames, describeValue } from '../../utils/options.js';
import { BASE_OPTIONS, type LayerConfig } from '../layer.js';
import { type DataOutputSpec, encodedOutputShape, requireStrings } from './data_layer.js';
import type { Shape, SymbolicDType } from '../../symbolic.js';
import { IndexLookup, type LookupOutputMode } from './index_lookup.js';

/** How TextVectorization standardises text: a Keras name, null (unchanged) or a function. */
export type Standardize = 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation' | null | ((text: string) => string);
/** How TextVectorization splits text into tokens: on whitespace, into characters, not at all (null), or a function. */
export type Split = 'whitespace' | 'character' | null | ((text: string) => string[]);

/** The options of TextVectorization; unknown keys are refused. */
export interface TextVectorizationArgs {
  /** The largest vocabulary, the mask '' and OOV '[UNK]' included (default null: no limit). */
  maxTokens?: number | null;
  /** Default 'lower_and_strip_punctuation' (ASCII lower case, ASCII punctuation removed). */
  standardize?: Standardize;
  /** Default 'whitespace'. */
  split?: Split;
  /** Also make n-grams: an integer n (all widths 1..n) or a list of widths; default null. */
  ngrams?: number | number[] | null;
  /** 'int' (default), 'multi_hot', 'count' or 'tf_idf'. */
  outputMode?: Exclude<LookupOutputMode, 'one_hot'>;
  /** With 'int': pad with 0 or truncate every row to this length (default null: the longest row). */
  outputSequenceLength?: number | null;
  /** Make the encoded outputs `maxTokens` wide even when the vocabulary is smaller (default false). */
  padToMaxTokens?: boolean;
  /** The vocabulary (without, or starting with, '' and '[UNK]'); default: learnt by adapt(). */
  vocabulary?: string[] | null;
  /** Per-token inverse document frequencies, with `vocabulary`, for outputMode 'tf_idf'. */
  idfWeights?: number[] | null;
  /** Only false. */
  sparse?: boolean;
  /** Only false (rows are padded to a dense tensor). */
  ragged?: boolean;
  /** Only 'utf-8'. */
  encoding?: string;
  /** The vocabulary size Keras records in the config; a loaded vocabulary must have it. */
  vocabularySize?: number | null;
  /** The layer's name (default: a unique 'text_vectorization'). */
  name?: string;
  /** Accepted for Keras configs; the layer has no trainable weights. */
  trainable?: boolean;
}

const OWN_OPTIONS = [
  'maxTokens',
  'standardize',
  'split',
  'ngrams',
  'outputMode',
  'outputSequenceLength',
  'padToMaxTokens',
  'vocabulary',
  'idfWeights',
  'sparse',
  'ragged',
  'encoding',
  'vocabularySize',
];
const STANDARDIZE_NAMES = ['lower_and_strip_punctuation', 'lower', 'strip_punctuation'];
const SPLIT_NAMES = ['whitespace', 'character'];
/** Keras' DEFAULT_STRIP_REGEX: ASCII punctuation. */
const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;
/** tf.strings.split's separators when none is given. */
const WHITESPACE = /[ \t\n\v\f\r]+/;

/**
 * Turns text into token indices or encoded vectors (Keras' TextVectorization): standardise,
 * split, make n-grams, look up in a vocabulary given or learnt by `await layer.adapt(texts)`.
 * It runs in JavaScript on strings: `layer.apply(['The cat sat.'])` returns an int32 Tensor
 * [batch, sequence] (0 pads, 1 is '[UNK]'), or float32 [batch, vocabulary] for the encoded modes.
 * Applied to a string Input (`kiln.Input({ shape: [1], dtype: 'string' })`) it is the first
 * layer of a model that takes arrays of strings in fit, evaluate and predict, as keras.io's
 * end-to-end text models; the vocabulary learnt by adapt() is saved in the `.keras` assets.
 */
export class TextVectorization extends IndexLookup<string> {
  /** How text is standardised. */
  readonly standardize: Standardize;
  /** How text is split into tokens. */
  readonly split: Split;
  /** The n-gram widths made, or null. */
  readonly ngrams: number[] | null;
  private readonly ngramsArgument: number | number[] | null;
  /** The length rows are padded or truncated to ('int' mode), or null. */
  readonly outputSequenceLength: number | null;

  constructor(args: TextVectorizationArgs = {}) {
    checkOptionNames('TextVectorization', args, [...OWN_OPTIONS, ...BASE_OPTIONS]);
    const {
      standardize = 'lower_and_strip_punctuation',
      split = 'whitespace',
      ngrams = null,
      outputSequenceLength = null,
      ragged = false,
      encoding = 'utf-8',
      outputMode = 'int',
      ...rest
    } = (args ?? {}) as TextVectorizationArgs;
    if (outputMode === ('one_hot' as LookupOutputMode)) throw new ValueError(`TextVectorization: unknown \`outputMode\` 'one_hot'; expected one of 'int', 'multi_hot', 'count', 'tf_idf'`);
    super({ ...rest, outputMode, maskToken: '', oovToken: '[UNK]', numOovIndices: 1 }, { maskToken: '', oovToken: '[UNK]' }, []);
    if (!(standardize === null || typeof standardize === 'function' || STANDARDIZE_NAMES.includes(standardize))) {
      throw new ValueError(`${this.where}: \`standardize\` must be one of ${STANDARDIZE_NAMES.map((s) => `'${s}'`).join(', ')}, null or a function, got ${describeValue(standardize)}`);
    }
    if (!(split === null || typeof split === 'function' || SPLIT_NAMES.includes(split))) {
      throw new ValueError(`${this.where}: \`split\` must be one of ${SPLIT_NAMES.map((s) => `'${s}'`).join(', ')}, null or a function, got ${describeValue(split)}`);
    }
    const widths = ngrams === null ? null : typeof ngrams === 'number' ? Array.from({ length: ngrams }, (_, i) => i + 1) : ngrams;
    if (widths !== null && (!Array.isArray(widths) || widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1))) {
      throw new ValueError(`${this.where}: \`ngrams\` must be null, a positive integer, or a list of positive integers, got ${describeValue(ngrams)}`);
    }
    if (outputSequenceLength !== null && outputMode !== 'int')
      throw new ValueError(`${this.where}: \`outputSequenceLength\` must not be set if \`outputMode\` is not 'int', got outputMode '${outputMode}'`);
    if (outputSequenceLength !== null && (!Number.isInteger(outputSequenceLength) || outputSequenceLength < 1))
      throw new ValueError(`${this.where}: \`outputSequenceLength\` must be a positive integer or null, got ${describeValue(outputSequenceLength)}`);
    if (ragged) throw new ValueError(`${this.where}: \`ragged: true\` is not supported (kiln's tensors are dense); set outputSequenceLength or let rows pad to the longest`);
    if (encoding !== 'utf-8' && encoding !== 'utf8') throw new ValueError(`${this.where}: only encoding 'utf-8' is supported, got ${describeValue(encoding)}`);
    this.standardize = standardize;
    this.split = split;
    this.ngrams = widths;
    this.ngramsArgument = ngrams;
    this.outputSequenceLength = outputSequenceLength;
  }

  protected readonly tokenKind = 'string';

  /** Its output in a model: [batch, outputSequenceLength] ids ('int'; a length that varies when unset), or [batch, depth] vectors. */
  outputSpec(inputShape: Shape, inputDtype: SymbolicDType): DataOutputSpec {
    this.requireInputKind(inputDtype, 'string');
    const dtype = this.outputMode === 'int' ? 'int32' : 'float32';
    if (this.split === null) return { shape: encodedOutputShape(this.where, inputShape, this.outputMode, this.encodedDepth()), dtype };
    if (inputShape.length > 2 || (inputShape.length === 2 && inputShape[1] !== 1)) {
      throw new ValueError(
        `${this.where}: when using TextVectorization to tokenize strings, the input rank must be 1 or the last shape dimension must be 1. Received: inputs.shape=${`[${inputShape.map((d) => d ?? 'null').join(', ')}]`} with rank=${inputShape.length}`,
      );
    }
    const rows = inputShape[0];
    if (this.outputMode === 'int') return { shape: [rows, this.outputSequenceLength], dtype };
    return { shape: encodedOutputShape(this.where, [rows, null], this.outputMode, this.encodedDepth()), dtype };
  }

  /** Keras' assets of a TextVectorization: the vocabulary, also under its inner lookup layer (`_lookup_layer/`). */
  kerasAssets(): Record<string, string> | undefined {
    const own = super.kerasAssets();
    return own && { ...own, '_lookup_layer/vocabulary.txt': own['vocabulary.txt'] };
  }

  protected tokenFromLine(line: string): string {
    return line;
  }

  protected checkToken(token: unknown): string {
    if (typeof token !== 'string') throw new ValueError(`${this.where}: vocabulary tokens must be strings, got ${describeValue(token)}`);
    return token;
  }

  private standardizeText(text: string): string {
    if (this.standardize === null) return text;
    if (typeof this.standardize === 'function') return this.standardize(text);
    // tf.strings.lower without an encoding lowers ASCII letters only.
    let out = this.standardize === 'strip_punctuation' ? text : text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
    if (this.standardize !== 'lower') out = out.replace(PUNCTUATION, '');
    return out;
  }

  private splitText(text: string): string[] {
    if (this.split === 'whitespace') return text.split(WHITESPACE).filter((t) => t.length > 0);
    if (this.split === 'character') return Array.from(text);
    return (this.split as (text: string) => string[])(text);
  }

  /** tf.strings.ngrams: every n-gram of each width in turn, joined by a space. */
  private makeNgrams(tokens: string[]): string[] {
    if (this.ngrams === null) return tokens;
    return this.ngrams.flatMap((n) => Array.from({ length: Math.max(0, tokens.length - n + 1) }, (_, i) => tokens.slice(i, i + n).join(' ')));
  }

  /** The strings of a batch, one per row: shape [batch] or [batch, 1] (or one string). */
  private texts(data: unknown): { texts: string[]; shape: number[] } {
    const flat = requireStrings(this.where, this.flattenInput(data), data);
    if (this.split !== null && flat.shape.length > 1 && !(flat.shape.length === 2 && flat.shape[1] === 1)) {
      throw new ValueError(
        `${this.where}: when using TextVectorization to tokenize strings, the input rank must be 1 or the last shape dimension must be 1. Received: inputs.shape=[${flat.shape}] with rank=${flat.shape.length}`,
      );
    }
    return { texts: flat.values, shape: flat.shape };
  }

  /** Each text standardised, split and made into n-grams. */
  private tokenize(texts: string[]): string[][] {
    return texts.map((text) => {
      const standard = this.standardizeText(text);
      if (typeof standard !== 'string') throw new ValueError(`${this.where}: the standardize function must return a string, got ${describeValue(standard)}`);
      if (this.split === null) return [standard];
      const tokens = this.splitText(standard);
      if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string')) throw new ValueError(`${this.where}: the split function must return an array of strings, got ${describeValue(tokens)}`);
      return this.makeNgrams(tokens);
    });
  }

  protected compute(data: unknown): Tensor {
    const { texts, shape } = this.texts(data);
    this.requireVocabulary();
    if (this.split === null) return this.computeTokens({ values: texts.map((t) => this.standardizeText(t)), shape });
    const rows = this.tokenize(texts);
    if (this.outputMode !== 'int') {
      // Rows pad with the mask '', which the encoded modes count nowhere (as Keras' ragged rows).
      const width = Math.max(0, ...rows.map((r) => r.length));
      return this.computeTokens({ values: rows.flatMap((r) => [...r, ...Array<string>(width - r.length).fill('')]), shape: [rows.length, width] });
    }
    const length = this.outputSequenceLength ?? Math.max(0, ...rows.map((r) => r.length));
    const ids = rows.flatMap((r) => {
      const row = this.lookup(r.slice(0, length));
      return [...row, ...Array<number>(length - row.length).fill(0)];
    });
    return this.encode({ values: ids, shape: [rows.length, length] });
  }

  protected documentsOf(batch: unknown): string[][] {
    const { texts } = this.texts(batch);
    return this.tokenize(texts);
  }

  /** Its configuration (Keras' `get_config`): its options and vocabulary. */
  getConfig(): LayerConfig {
    const { name, trainable, maxTokens, outputMode, padToMaxTokens, vocabulary, idfWeights } = super.getConfig();
    return {
      name,
      trainable,
      maxTokens,
      standardize: typeof this.standardize === 'function' ? null : this.standardize,
      split: typeof this.split === 'function' ? null : this.split,
      ngrams: this.ngramsArgument,
      outputMode,
      outputSequenceLength: this.outputSequenceLength,
      padToMaxTokens,
      sparse: false,
      ragged: false,
      vocabulary,
      idfWeights,
      encoding: 'utf-8',
      vocabularySize: this.recordedVocabularySize(),
    };
  }
}
