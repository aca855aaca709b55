import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { describeValue } from '../../utils/options.js';
import type { LayerArgs, LayerConfig } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { DataLayer, type DataOutputSpec, encodedOutputShape, requireNumbers } from './data_layer.js';
import type { Shape, SymbolicDType } from '../../symbolic.js';
import { checkOutputMode, ENCODED_OUTPUT_MODES, encodeCategorical, type EncodedOutputMode } from './encode_categorical.js';

export interface CategoryEncodingArgs extends LayerArgs {
  /** The number of categories: ids are in [0, numTokens). Required. */
  numTokens?: number;
  /** 'multi_hot' (default; 'binary' is its old name), 'one_hot' or 'count'. */
  outputMode?: EncodedOutputMode | 'binary';
  /** Only false. */
  sparse?: boolean;
}

/**
 * Encodes integer category ids as float32 vectors of `numTokens` (Keras' CategoryEncoding):
 * 'one_hot' one vector per id, 'multi_hot' one per row with a 1 for each id present, 'count'
 * how often each id occurs. Runs in JavaScript on concrete ids (a Tensor or arrays).
 */
export class CategoryEncoding extends DataLayer {
  /** The number of categories. */
  readonly numTokens: number;
  /** 'multi_hot', 'one_hot' or 'count'. */
  readonly outputMode: EncodedOutputMode;

  constructor(numTokens?: number | CategoryEncodingArgs, args: CategoryEncodingArgs = {}) {
    const { main, options } = mainArguments<CategoryEncodingArgs>([numTokens, args], ['numTokens']);
    const { outputMode = 'multi_hot', sparse = false, ...rest } = options;
    super(rest, ['numTokens', 'outputMode', 'sparse']);
    const where = `Layer "${this.name}" (CategoryEncoding)`;
    const tokens = main[0];
    if (tokens === undefined || tokens === null)
      throw new ValueError(`${where}: numTokens must be set to use this layer. If the number of tokens is not known beforehand, use the IntegerLookup layer instead`);
    if (!Number.isInteger(tokens) || (tokens as number) < 1) throw new ValueError(`${where}: \`numTokens\` must be an integer >= 1, got ${describeValue(tokens)}`);
    if (sparse) throw new ValueError(`${where}: \`sparse: true\` is not supported (kiln has no sparse tensors)`);
    this.numTokens = tokens as number;
    this.outputMode = checkOutputMode(where, outputMode === 'binary' ? 'multi_hot' : outputMode, ENCODED_OUTPUT_MODES);
  }

  /** Its output in a model: the float32 encoded vectors. */
  outputSpec(inputShape: Shape, inputDtype: SymbolicDType): DataOutputSpec {
    this.requireInputKind(inputDtype, 'number');
    return { shape: encodedOutputShape(this.where, inputShape, this.outputMode, this.numTokens), dtype: 'float32' };
  }

  protected compute(data: unknown): Tensor {
    return encodeCategorical(this.where, requireNumbers(this.where, this.flattenInput(data), data), this.outputMode, this.numTokens);
  }

  /** Its configuration (Keras' `get_config`): numTokens and outputMode. */
  getConfig(): LayerConfig {
    return { ...super.getConfig(), numTokens: this.numTokens, outputMode: this.outputMode, sparse: false };
  }
}
