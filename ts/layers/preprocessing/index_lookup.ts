// The shared machinery of StringLookup, IntegerLookup and TextVectorization (Keras'
// IndexLookup): a vocabulary given or learnt by adapt(), mask and OOV indices in front of it,
// hashed OOV buckets, the inverse lookup and the encoded output modes.
import { FileFormatError, ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { describeValue } from '../../utils/options.js';
import type { LayerArgs, LayerConfig } from '../layer.js';
import { adaptBatches, type DataBatches, DataLayer, type DataOutputSpec, encodedOutputShape, type FlatData, outputTensor, type StringData } from './data_layer.js';
import type { Shape, SymbolicDType } from '../../symbolic.js';
import { checkOutputMode, encodeCategorical } from './encode_categorical.js';
import { hashBucketFast } from './farmhash.js';

export const LOOKUP_OUTPUT_MODES = ['int', 'one_hot', 'multi_hot', 'count', 'tf_idf'] as const;
/** What a lookup layer returns: 'int' indices, or 'one_hot', 'multi_hot', 'count' or 'tf_idf' vectors. */
export type LookupOutputMode = (typeof LOOKUP_OUTPUT_MODES)[number];

export interface IndexLookupArgs<T> extends LayerArgs {
  /** The largest vocabulary, mask and OOV indices included (default null: no limit). */
  maxTokens?: number | null;
  /** How many indices unknown tokens share (default 1); 0 refuses unknown tokens. */
  numOovIndices?: number;
  /** The token that maps to index 0 (and is left out of adapt()); default null: no mask. */
  maskToken?: T | null;
  /** The token the OOV indices stand for in getVocabulary() and the inverse lookup. */
  oovToken?: T;
  /** The vocabulary (tokens without, or starting with, the mask and OOV tokens), or a path to a text file of one token a line; default: learnt by adapt(). */
  vocabulary?: T[] | string | null;
  /** Per-token inverse document frequencies, with `vocabulary`, for outputMode 'tf_idf'. */
  idfWeights?: number[] | null;
  /** Map indices back to tokens (default false). */
  invert?: boolean;
  /** 'int' (default), 'one_hot', 'multi_hot', 'count' or 'tf_idf'. */
  outputMode?: LookupOutputMode;
  /** Make the encoded outputs `maxTokens` wide even when the vocabulary is smaller (default false). */
  padToMaxTokens?: boolean;
  /** Only false (dense outputs) is supported. */
  sparse?: boolean;
  /**
   * The vocabulary size Keras records in the config (`vocabulary_size`); a loaded vocabulary
   * must have it. Default null.
   */
  vocabularySize?: number | null;
  /** How unknown tokens pick an OOV index: 'floormod' (default) or, for strings (hashed either way), 'farmhash'. */
  oovMethod?: 'floormod' | 'farmhash';
  /** Keyed SipHash of OOV tokens: not supported (null only). */
  salt?: number | number[] | null;
}

export const INDEX_LOOKUP_OPTIONS = [
  'maxTokens',
  'numOovIndices',
  'maskToken',
  'oovToken',
  'vocabulary',
  'idfWeights',
  'invert',
  'outputMode',
  'padToMaxTokens',
  'sparse',
  'vocabularySize',
  'oovMethod',
  'salt',
];

/** The line breaks of Python's str.splitlines(), which Keras' load_assets reads vocabulary.txt with. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: \x1c-\x1e are line breaks to Python's splitlines, which Keras reads the file with
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

const utf8 = new TextEncoder();
/** The index of masked tokens in the encoded modes: left out of every count, as Keras' bincount drops it. */
const DROPPED = -1;

/** Keras' tie-break on equal counts: tokens in descending order (byte order for strings). */
function compareDescending<T>(a: T, b: T): number {
  if (typeof a === 'number' && typeof b === 'number') return b - a;
  return Buffer.compare(utf8.encode(String(b)), utf8.encode(String(a)));
}

/** Token and document counts over adapt()'s batches. */
export class TokenCounts<T> {
  readonly counts = new Map<T, number>();
  readonly documentCounts = new Map<T, number>();
  documents = 0;

  /** Adds one document's tokens. */
  addDocument(tokens: T[]): void {
    for (const token of tokens) this.counts.set(token, (this.counts.get(token) ?? 0) + 1);
    for (const token of new Set(tokens)) this.documentCounts.set(token, (this.documentCounts.get(token) ?? 0) + 1);
    this.documents++;
  }
}

/** A vocabulary lookup; T is string (StringLookup, TextVectorization) or number (IntegerLookup). */
export abstract class IndexLookup<T extends string | number> extends DataLayer {
  /** The largest vocabulary, or null for no limit. */
  readonly maxTokens: number | null;
  /** How many indices unknown tokens share. */
  readonly numOovIndices: number;
  /** The token that maps to index 0, or null. */
  readonly maskToken: T | null;
  /** The token the OOV indices stand for. */
  readonly oovToken: T;
  /** Whether it maps indices back to tokens. */
  readonly invert: boolean;
  /** What it returns. */
  readonly outputMode: LookupOutputMode;
  /** Whether encoded outputs are `maxTokens` wide. */
  readonly padToMaxTokens: boolean;
  /** The vocabulary given to the constructor (saved in the config, as Keras does). */
  readonly inputVocabulary: T[] | null;
  private readonly inputIdfWeights: number[] | null;
  private tokens: T[] = [];
  private index = new Map<T, number>();
  private idfWeights?: Float32Array;
  /** Set by a given vocabulary or adapt(): a lookup with neither is refused, not all OOV. */
  private hasVocabulary = false;

  constructor(args: IndexLookupArgs<T>, defaults: { maskToken: T | null; oovToken: T }, ownOptions: string[]) {
    const {
      maxTokens = null,
      numOovIndices = 1,
      maskToken = defaults.maskToken,
      oovToken = defaults.oovToken,
      vocabulary = null,
      idfWeights = null,
      invert = false,
      outputMode = 'int',
      padToMaxTokens = false,
      sparse = false,
      vocabularySize = null,
      oovMethod = 'floormod',
      salt = null,
      ...rest
    } = args;
    super(rest, [...INDEX_LOOKUP_OPTIONS, ...ownOptions]);
    const where = `Layer "${this.name}" (${this.constructor.name})`;
    if (vocabularySize !== null && (!Number.isInteger(vocabularySize) || vocabularySize < 0))
      throw new ValueError(`${where}: \`vocabularySize\`, if set, must be a non-negative integer, got ${describeValue(vocabularySize)}`);
    // Strings are hashed into OOV buckets whichever method is named; integers only by floormod here.
    if (oovMethod !== 'floormod' && !(oovMethod === 'farmhash' && typeof defaults.oovToken === 'string'))
      throw new ValueError(
        `${where}: \`oovMethod\` must be 'floormod'${typeof defaults.oovToken === 'string' ? " or 'farmhash'" : ' (FarmHash64 of integer ids is not supported)'}, got ${describeValue(oovMethod)}`,
      );
    if (salt !== null) throw new ValueError(`${where}: \`salt\` (keyed SipHash of OOV tokens) is not supported; use salt: null`);
    this.frozenVocabularySize = vocabularySize;
    if (maxTokens !== null && (!Number.isInteger(maxTokens) || maxTokens <= 1))
      throw new ValueError(`${where}: \`maxTokens\`, if set, must be an integer greater than 1, got ${describeValue(maxTokens)}`);
    if (!Number.isInteger(numOovIndices) || numOovIndices < 0) throw new ValueError(`${where}: \`numOovIndices\` must be an integer >= 0, got ${describeValue(numOovIndices)}`);
    this.outputMode = checkOutputMode(where, outputMode, LOOKUP_OUTPUT_MODES);
    if (sparse) throw new ValueError(`${where}: \`sparse: true\` is not supported (kiln has no sparse tensors); use the dense output`);
    if (invert && outputMode !== 'int') throw new ValueError(`${where}: \`outputMode\` must be 'int' when \`invert\` is true, got '${outputMode}'`);
    if (padToMaxTokens && maxTokens === null) throw new ValueError(`${where}: \`padToMaxTokens\` needs \`maxTokens\``);
    if (typeof vocabulary === 'string') throw new ValueError(`${where}: a vocabulary file path is not supported; give the vocabulary as an array of tokens`);
    if (idfWeights !== null && outputMode !== 'tf_idf') throw new ValueError(`${where}: \`idfWeights\` is only used with outputMode 'tf_idf', got outputMode '${outputMode}'`);
    this.maxTokens = maxTokens;
    this.numOovIndices = numOovIndices;
    this.maskToken = maskToken;
    this.oovToken = oovToken;
    this.invert = invert;
    this.padToMaxTokens = padToMaxTokens;
    this.inputVocabulary = vocabulary;
    this.inputIdfWeights = idfWeights;
    if (vocabulary !== null) this.setVocabulary(vocabulary, idfWeights ?? undefined);
    else if (idfWeights !== null) throw new ValueError(`${where}: \`idfWeights\` must be given with \`vocabulary\``);
  }

  /** Whether the mask has index 0: only in 'int' mode (the encoded modes drop masked tokens). */
  protected get maskIndexed(): boolean {
    return this.maskToken !== null && this.outputMode === 'int';
  }

  /** Index of the first vocabulary token: after the mask (if indexed) and the OOV indices. */
  protected get tokenStart(): number {
    return (this.maskIndexed ? 1 : 0) + this.numOovIndices;
  }

  /** Checks that a token has the layer's kind (string or integer). */
  protected abstract checkToken(token: unknown): T;

  /** What its tokens are: strings (StringLookup, TextVectorization) or integers (IntegerLookup). */
  protected abstract readonly tokenKind: 'string' | 'number';

  /** The width of the encoded outputs, or null while the vocabulary is unknown. */
  protected encodedDepth(): number | null {
    if (this.padToMaxTokens && this.maxTokens !== null) return this.maxTokens;
    return this.hasVocabulary ? this.vocabularySize() : this.frozenVocabularySize;
  }

  /**
   * @internal The vocabulary size Keras writes in the config (`vocabulary_size`): the output
   * width of the encoded modes while the vocabulary itself is still in the file's assets.
   */
  frozenVocabularySize: number | null = null;

  /** The vocabulary size Keras records in the config: the vocabulary's, or the one recorded before it was loaded. */
  protected recordedVocabularySize(): number | null {
    return this.hasVocabulary ? this.vocabularySize() : this.frozenVocabularySize;
  }

  /** Its output in a model: ids shaped as the input ('int'), or the encoded vectors. */
  outputSpec(inputShape: Shape, inputDtype: SymbolicDType): DataOutputSpec {
    if (this.invert) {
      if (this.tokenKind === 'string')
        throw new ValueError(`${this.where}: with \`invert: true\` it outputs strings, which a model's engine cannot carry; apply it to the model's predictions instead`);
      this.requireInputKind(inputDtype, 'number');
      return { shape: inputShape, dtype: 'int32' };
    }
    this.requireInputKind(inputDtype, this.tokenKind);
    return { shape: encodedOutputShape(this.where, inputShape, this.outputMode, this.encodedDepth()), dtype: this.outputMode === 'int' ? 'int32' : 'float32' };
  }

  /** The number of indices, mask and OOV included (Keras' vocabulary_size()). */
  vocabularySize(): number {
    return this.tokenStart + this.tokens.length;
  }

  /** The vocabulary by index, with the mask and OOV tokens in front unless told otherwise. */
  getVocabulary(includeSpecialTokens = true): T[] {
    if (!includeSpecialTokens) return [...this.tokens];
    const special: T[] = this.maskIndexed ? [this.maskToken as T] : [];
    return [...special, ...Array<T>(this.numOovIndices).fill(this.oovToken), ...this.tokens];
  }

  /** Sets the vocabulary (and, for 'tf_idf', its idf weights), as Keras' set_vocabulary. */
  setVocabulary(vocabulary: T[], idfWeights?: number[]): void {
    if (!Array.isArray(vocabulary)) throw new ValueError(`${this.where}: the vocabulary must be an array of tokens, got ${describeValue(vocabulary)}`);
    let tokens = vocabulary.map((t) => this.checkToken(t));
    // A vocabulary may start with the special tokens, as getVocabulary() returns it.
    const special = this.getVocabulary(true).slice(0, this.tokenStart);
    const startsWithSpecial = special.length > 0 && special.every((t, i) => tokens[i] === t);
    if (startsWithSpecial) tokens = tokens.slice(special.length);
    const misplaced = tokens.find((t) => t === this.maskToken || (this.numOovIndices > 0 && t === this.oovToken));
    if (misplaced !== undefined)
      throw new ValueError(
        `${this.where}: the special token ${JSON.stringify(misplaced)} (mask or OOV) may only be at the start of the vocabulary, in the order [mask, OOV...], got ${describeValue(vocabulary)}`,
      );
    const seen = new Set<T>();
    const repeated = tokens.find((t) => (seen.has(t) ? true : (seen.add(t), false)));
    if (repeated !== undefined) throw new ValueError(`${this.where}: the vocabulary must not contain repeated tokens, got ${JSON.stringify(repeated)} more than once`);
    if (this.maxTokens !== null && tokens.length + this.tokenStart > this.maxTokens) {
      throw new ValueError(
        `${this.where}: attempted to set a vocabulary larger than the maximum vocabulary size. Passed vocabulary has size ${tokens.length + this.tokenStart}, and max_tokens is ${this.maxTokens}`,
      );
    }
    if (this.outputMode === 'tf_idf') {
      if (!idfWeights) throw new ValueError(`${this.where}: \`idfWeights\` must be set when outputMode is 'tf_idf' and a vocabulary is given`);
      const given = startsWithSpecial ? idfWeights.slice(special.length) : idfWeights;
      if (given.length !== tokens.length || given.some((w) => typeof w !== 'number' || !Number.isFinite(w))) {
        throw new ValueError(`${this.where}: \`idfWeights\` must be one finite number per vocabulary token (${tokens.length}), got ${describeValue(idfWeights)}`);
      }
      this.setIdf(given);
    }
    this.tokens = tokens;
    this.index = new Map(tokens.map((t, i) => [t, i + this.tokenStart]));
    this.hasVocabulary = true;
  }

  /** Keras' idf layout: the mean idf at the mask and OOV positions, zeros padding to maxTokens. */
  private setIdf(tokenIdf: number[]): void {
    const mean = tokenIdf.length ? tokenIdf.reduce((a, b) => a + b, 0) / tokenIdf.length : 0;
    const width = this.padToMaxTokens && this.maxTokens !== null ? this.maxTokens : this.tokenStart + tokenIdf.length;
    const weights = new Float32Array(width);
    weights.fill(mean, 0, this.tokenStart);
    weights.set(tokenIdf, this.tokenStart);
    this.idfWeights = weights;
  }

  /**
   * The index of each token; unknown ones go to the OOV indices (hashed when several); the mask
   * token to 0 in 'int' mode, else to DROPPED (counted nowhere).
   */
  protected lookup(tokens: T[]): number[] {
    const start = this.maskIndexed ? 1 : 0;
    return tokens.map((token) => {
      if (this.maskToken !== null && token === this.maskToken) return this.maskIndexed ? 0 : DROPPED;
      const found = this.index.get(token);
      if (found !== undefined) return found;
      if (this.numOovIndices === 0) throw new ValueError(`${this.where}: when numOovIndices is 0, all inputs must be in the vocabulary; found OOV value ${JSON.stringify(token)}`);
      if (this.numOovIndices === 1) return start;
      const bucket = typeof token === 'number' ? ((token % this.numOovIndices) + this.numOovIndices) % this.numOovIndices : hashBucketFast(token, this.numOovIndices);
      return start + bucket;
    });
  }

  /** The token at each index (the inverse lookup): OOV and unknown indices give the OOV token. */
  protected inverseLookup(ids: number[]): T[] {
    this.requireVocabulary();
    const vocabulary = this.getVocabulary(true);
    return ids.map((id) => {
      if (!Number.isInteger(id)) throw new ValueError(`${this.where}: the inverse lookup takes integer indices, got ${id}`);
      return id >= 0 && id < vocabulary.length ? vocabulary[id] : this.oovToken;
    });
  }

  /** Encodes looked-up indices per outputMode. */
  protected encode(ids: FlatData<number>): Tensor {
    this.requireVocabulary();
    if (this.outputMode === 'int') return outputTensor(ids.values, ids.shape, 'int32');
    const depth = this.padToMaxTokens && this.maxTokens !== null ? this.maxTokens : this.vocabularySize();
    return encodeCategorical(this.where, ids, this.outputMode, depth, { weights: this.idfWeights, dropped: DROPPED });
  }

  /** @internal Refuses a lookup before a vocabulary exists (or tf_idf without weights). */
  protected requireVocabulary(): void {
    if (!this.hasVocabulary) throw new ValueError(`${this.where}: the layer has no vocabulary; pass \`vocabulary\` or call adapt() first`);
    if (this.outputMode === 'tf_idf' && !this.idfWeights) throw new ValueError(`${this.where}: outputMode 'tf_idf' needs idf weights: pass \`idfWeights\` with the vocabulary or call adapt()`);
  }

  /** Looks up (or inverts) flattened tokens, keeping their shape. */
  protected computeTokens(data: FlatData<T>): Tensor {
    this.requireVocabulary();
    return this.encode({ values: this.lookup(data.values), shape: data.shape });
  }

  /** Learns the vocabulary from counted tokens, most frequent first (Keras' finalize_state). */
  protected finishAdapt(counts: TokenCounts<T>): void {
    if (counts.documents === 0 || counts.counts.size === 0) throw new ValueError(`${this.where}: adapt() received no data (no tokens); expected at least one batch with tokens`);
    if (this.inputVocabulary !== null) throw new ValueError(`${this.where}: adapt() cannot change the vocabulary given to the constructor`);
    const tokens = [...counts.counts.keys()].filter((t) => t !== this.maskToken && t !== this.oovToken);
    tokens.sort((a, b) => counts.counts.get(b)! - counts.counts.get(a)! || compareDescending(a, b));
    const kept = this.maxTokens === null ? tokens : tokens.slice(0, Math.max(0, this.maxTokens - this.tokenStart));
    this.tokens = kept;
    this.index = new Map(kept.map((t, i) => [t, i + this.tokenStart]));
    this.hasVocabulary = true;
    if (this.outputMode === 'tf_idf') this.setIdf(kept.map((t) => Math.log(1 + counts.documents / (1 + (counts.documentCounts.get(t) ?? 0)))));
  }

  /** Each adapt() batch as documents of tokens (a row of a batch is one document). */
  protected abstract documentsOf(batch: unknown): T[][];

  /**
   * Learns the vocabulary from `data` (Keras' adapt): tokens by decreasing frequency, ties in
   * decreasing token order, at most `maxTokens` indices in all.
   */
  async adapt(data: DataBatches): Promise<void> {
    const counts = new TokenCounts<T>();
    for await (const batch of adaptBatches(data)) for (const document of this.documentsOf(batch)) counts.addDocument(document);
    this.finishAdapt(counts);
  }

  /** Rows of a flat batch: each row (or each element of a rank-1 batch) is a document. */
  protected rows(data: FlatData<T>): T[][] {
    const perRow = data.shape.length >= 2 ? data.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const rows: T[][] = [];
    for (let i = 0; i < data.values.length; i += perRow) rows.push(data.values.slice(i, i + perRow));
    return rows;
  }

  /** The idf weights in use ('tf_idf'), index by index. */
  getIdfWeights(): number[] | undefined {
    return this.idfWeights ? Array.from(this.idfWeights) : undefined;
  }

  /** The inverse lookup as nested arrays shaped like the ids. */
  protected invertToNested(data: FlatData<number>): StringData | number[] {
    const tokens = this.inverseLookup(data.values);
    const nest = (values: T[], shape: number[]): unknown => {
      if (shape.length <= 1) return shape.length === 0 ? values[0] : values;
      const step = values.length / shape[0];
      return Array.from({ length: shape[0] }, (_, i) => nest(values.slice(i * step, (i + 1) * step), shape.slice(1)));
    };
    return nest(tokens, data.shape) as StringData | number[];
  }

  /**
   * @internal Keras' save_assets: a learnt vocabulary as `vocabulary.txt`, one token a line,
   * mask and OOV tokens first (a vocabulary given to the constructor is in the config instead).
   */
  kerasAssets(): Record<string, string> | undefined {
    if (this.inputVocabulary !== null) return undefined;
    this.requireVocabulary();
    if (this.outputMode === 'tf_idf')
      throw new ValueError(
        `${this.where}: a 'tf_idf' vocabulary learnt by adapt() cannot be saved yet (Keras keeps its idf weights in a TensorFlow variable); pass \`vocabulary\` and \`idfWeights\` to the constructor instead`,
      );
    const vocabulary = this.getVocabulary(true).map(String);
    const broken = vocabulary.find((t) => LINE_BREAK.test(t));
    if (broken !== undefined) throw new ValueError(`${this.where}: the token ${JSON.stringify(broken)} holds a line break, which Keras' vocabulary.txt (one token a line) cannot keep`);
    return { 'vocabulary.txt': vocabulary.join('\n') };
  }

  /** The token a line of vocabulary.txt holds. */
  protected abstract tokenFromLine(line: string, what: string): T;

  /** @internal Keras' load_assets: the vocabulary from `vocabulary.txt`, read by `read`; `what` names the file. */
  loadKerasAssets(read: (name: string) => string | undefined, what: string): void {
    if (this.inputVocabulary !== null) return;
    const text = read('vocabulary.txt');
    if (text === undefined) throw new FileFormatError(`${what}: ${this.where} has no vocabulary in the file (its assets have no vocabulary.txt for it)`);
    if (this.outputMode === 'tf_idf') throw new FileFormatError(`${what}: ${this.where} is a 'tf_idf' lookup whose vocabulary was learnt by adapt(); its idf weights are not read yet`);
    const lines = text.split(LINE_BREAK);
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    try {
      this.setVocabulary(lines.map((line) => this.tokenFromLine(line, what)));
    } catch (error) {
      throw new FileFormatError(`${what}: the vocabulary.txt of ${this.where} cannot be used: ${(error as Error).message}`);
    }
    if (this.frozenVocabularySize !== null && this.frozenVocabularySize !== this.vocabularySize()) {
      throw new FileFormatError(
        `${what}: the vocabulary.txt of ${this.where} has ${this.vocabularySize()} entries (mask and OOV included), but its config records vocabulary_size ${this.frozenVocabularySize}`,
      );
    }
  }

  getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      invert: this.invert,
      maxTokens: this.maxTokens,
      numOovIndices: this.numOovIndices,
      oovToken: this.oovToken,
      maskToken: this.maskToken,
      outputMode: this.outputMode,
      sparse: false,
      padToMaxTokens: this.padToMaxTokens,
      vocabulary: this.inputVocabulary,
      idfWeights: this.inputIdfWeights,
      vocabularySize: this.recordedVocabularySize(),
      oovMethod: 'floormod',
      salt: null,
    };
  }
}
