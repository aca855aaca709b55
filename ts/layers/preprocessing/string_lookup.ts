import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { describeValue } from '../../utils/options.js';
import { requireNumbers, requireOptionsObject, requireStrings, type StringData } from './data_layer.js';
import { IndexLookup, type IndexLookupArgs } from './index_lookup.js';

export interface StringLookupArgs extends IndexLookupArgs<string> {
  /** Only 'utf-8' (JavaScript strings are Unicode). */
  encoding?: string;
  /** Only 'string' (what getConfig() writes). */
  vocabularyDtype?: string;
}

/**
 * Maps strings to integer indices of a vocabulary (given, or learnt by `await layer.adapt(data)`),
 * in JavaScript on concrete data: `layer.apply(['a', 'b'])` returns an int32 Tensor (or the
 * encoded float32 output for 'one_hot', 'multi_hot', 'count', 'tf_idf'). Index 0 is the mask
 * token when one is set, then the OOV indices, then the vocabulary; with `invert: true` it maps
 * indices back to strings.
 */
export class StringLookup extends IndexLookup<string> {
  constructor(args: StringLookupArgs = {}) {
    requireOptionsObject('StringLookup', args);
    const { encoding = 'utf-8', vocabularyDtype = 'string', ...rest } = args ?? {};
    super(rest, { maskToken: null, oovToken: '[UNK]' }, ['encoding', 'vocabularyDtype']);
    if (vocabularyDtype !== 'string') throw new ValueError(`${this.where}: \`vocabularyDtype\` must be 'string' (IntegerLookup maps integers), got ${describeValue(vocabularyDtype)}`);
    if (encoding !== 'utf-8' && encoding !== 'utf8') throw new ValueError(`${this.where}: only encoding 'utf-8' is supported, got ${describeValue(encoding)}`);
  }

  protected readonly tokenKind = 'string';

  protected tokenFromLine(line: string): string {
    return line;
  }

  protected checkToken(token: unknown): string {
    if (typeof token !== 'string') throw new ValueError(`${this.where}: vocabulary tokens must be strings, got ${describeValue(token)}`);
    return token;
  }

  protected compute(data: unknown): Tensor | StringData {
    const flat = this.flattenInput(data);
    if (this.invert) return this.invertToNested(requireNumbers(this.where, flat, data)) as StringData;
    return this.computeTokens(requireStrings(this.where, flat, data));
  }

  protected documentsOf(batch: unknown): string[][] {
    return this.rows(requireStrings(this.where, this.flattenInput(batch), batch));
  }

  /** Its configuration (Keras' `get_config`): the lookup options and encoding 'utf-8' (no vocabularyDtype: Keras' StringLookup passes its own, and refuses a second). */
  getConfig() {
    return { ...super.getConfig(), encoding: 'utf-8' };
  }
}
