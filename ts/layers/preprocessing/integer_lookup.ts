import { FileFormatError, ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { describeValue } from '../../utils/options.js';
import { outputTensor, requireNumbers, requireOptionsObject } from './data_layer.js';
import { IndexLookup, type IndexLookupArgs } from './index_lookup.js';

export interface IntegerLookupArgs extends IndexLookupArgs<number> {
  /** Only 'int64' (Keras' default; ids are JavaScript integers). */
  vocabularyDtype?: string;
}

/**
 * Maps integer ids (a Tensor, typed array or nested array) to contiguous indices of a vocabulary,
 * in JavaScript on concrete data, as StringLookup does for strings. The OOV token is -1 and
 * there is no mask by default; several OOV indices share unknown ids by `id mod numOovIndices`.
 */
export class IntegerLookup extends IndexLookup<number> {
  constructor(args: IntegerLookupArgs = {}) {
    requireOptionsObject('IntegerLookup', args);
    const { vocabularyDtype = 'int64', ...rest } = args ?? {};
    super(rest, { maskToken: null, oovToken: -1 }, ['vocabularyDtype']);
    if (vocabularyDtype !== 'int64' && vocabularyDtype !== 'int32') throw new ValueError(`${this.where}: \`vocabularyDtype\` must be 'int64' or 'int32', got ${describeValue(vocabularyDtype)}`);
    if (this.maskToken !== null && !Number.isInteger(this.maskToken)) throw new ValueError(`${this.where}: \`maskToken\` must be an integer or null, got ${describeValue(this.maskToken)}`);
    if (!Number.isInteger(this.oovToken)) throw new ValueError(`${this.where}: \`oovToken\` must be an integer, got ${describeValue(this.oovToken)}`);
  }

  protected readonly tokenKind = 'number';

  protected tokenFromLine(line: string, what: string): number {
    const id = Number(line);
    if (line.trim() === '' || !Number.isInteger(id)) throw new FileFormatError(`${what}: the vocabulary.txt of ${this.where} holds ${JSON.stringify(line)} where an integer id was expected`);
    return id;
  }

  protected checkToken(token: unknown): number {
    if (typeof token !== 'number' || !Number.isInteger(token)) throw new ValueError(`${this.where}: vocabulary tokens must be integers, got ${describeValue(token)}`);
    return token;
  }

  protected compute(data: unknown): Tensor {
    const flat = requireNumbers(this.where, this.flattenInput(data), data);
    const bad = flat.values.find((v) => !Number.isInteger(v));
    if (bad !== undefined) throw new ValueError(`${this.where}: expected integer ids, got ${bad}`);
    if (this.invert) return outputTensor(this.inverseLookup(flat.values), flat.shape, 'int32');
    return this.computeTokens(flat);
  }

  protected documentsOf(batch: unknown): number[][] {
    return this.rows(requireNumbers(this.where, this.flattenInput(batch), batch));
  }

  /** Its configuration (Keras' `get_config`): the lookup options, with vocabularyDtype 'int64'. */
  getConfig() {
    return { ...super.getConfig(), vocabularyDtype: 'int64' };
  }
}
