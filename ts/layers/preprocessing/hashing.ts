import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { describeValue } from '../../utils/options.js';
import type { LayerArgs, LayerConfig } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { DataLayer, type DataOutputSpec, encodedOutputShape, outputTensor } from './data_layer.js';
import type { Shape } from '../../symbolic.js';
import { checkOutputMode, encodeCategorical, type EncodedOutputMode } from './encode_categorical.js';
import { hashBucketFast } from './farmhash.js';

const HASHING_OUTPUT_MODES = ['int', 'one_hot', 'multi_hot', 'count'] as const;

export interface HashingArgs extends LayerArgs {
  /** The number of bins (the mask bin included when `maskValue` is set). Required. */
  numBins?: number;
  /** A value (string or integer) that maps to bin 0, the others to bins 1..numBins-1; default null. */
  maskValue?: string | number | null;
  /** Keyed SipHash: not supported (null only). */
  salt?: number | number[] | null;
  /** 'int' (default), 'one_hot', 'multi_hot' or 'count'. */
  outputMode?: 'int' | EncodedOutputMode;
  /** Only false. */
  sparse?: boolean;
}

/**
 * Hashes strings or integers into `numBins` bins with FarmHash64, exactly as Keras' Hashing
 * (TensorFlow's `to_hash_bucket_fast`; integers are hashed as their decimal strings). Runs in
 * JavaScript on concrete data; returns int32 bins, or the encoded float32 output.
 */
export class Hashing extends DataLayer {
  /** The number of bins. */
  readonly numBins: number;
  /** The value mapped to bin 0, or null. */
  readonly maskValue: string | number | null;
  /** 'int', 'one_hot', 'multi_hot' or 'count'. */
  readonly outputMode: 'int' | EncodedOutputMode;

  constructor(numBins?: number | HashingArgs, args: HashingArgs = {}) {
    const { main, options } = mainArguments<HashingArgs>([numBins, args], ['numBins']);
    const { maskValue = null, salt = null, outputMode = 'int', sparse = false, ...rest } = options;
    super(rest, ['numBins', 'maskValue', 'salt', 'outputMode', 'sparse']);
    const bins = main[0];
    if (!Number.isInteger(bins) || (bins as number) <= 0) throw new ValueError(`${this.where}: \`numBins\` must be a positive integer, got ${describeValue(bins)}`);
    if (maskValue !== null && (bins as number) < 2) throw new ValueError(`${this.where}: \`numBins\` must be at least 2 when \`maskValue\` is set, got ${bins}`);
    if (maskValue !== null && typeof maskValue !== 'string' && !Number.isInteger(maskValue))
      throw new ValueError(`${this.where}: \`maskValue\` must be a string, an integer or null, got ${describeValue(maskValue)}`);
    if (salt !== null) throw new ValueError(`${this.where}: \`salt\` (keyed SipHash, tf.strings.to_hash_bucket_strong) is not supported; use salt: null for FarmHash64`);
    if (sparse) throw new ValueError(`${this.where}: \`sparse: true\` is not supported (kiln has no sparse tensors)`);
    this.numBins = bins as number;
    this.maskValue = maskValue;
    this.outputMode = checkOutputMode(this.where, outputMode, HASHING_OUTPUT_MODES);
  }

  /** Its output in a model: bins shaped as the input ('int'), or the encoded vectors; strings or integers alike. */
  outputSpec(inputShape: Shape): DataOutputSpec {
    return { shape: encodedOutputShape(this.where, inputShape, this.outputMode, this.numBins), dtype: this.outputMode === 'int' ? 'int32' : 'float32' };
  }

  protected compute(data: unknown): Tensor {
    const flat = this.flattenInput(data);
    const bad = flat.values.find((v) => typeof v === 'number' && !Number.isInteger(v));
    if (bad !== undefined) throw new ValueError(`${this.where}: Hashing takes strings or integers, got the number ${bad}`);
    const masked = this.maskValue !== null;
    const buckets = masked ? this.numBins - 1 : this.numBins;
    const bins = flat.values.map((v) => {
      if (masked && v === this.maskValue) return 0;
      return hashBucketFast(String(v), buckets) + (masked ? 1 : 0);
    });
    if (this.outputMode === 'int') return outputTensor(bins, flat.shape, 'int32');
    return encodeCategorical(this.where, { values: bins, shape: flat.shape }, this.outputMode, this.numBins);
  }

  /** Its configuration (Keras' `get_config`): numBins, maskValue and outputMode. */
  getConfig(): LayerConfig {
    return { ...super.getConfig(), numBins: this.numBins, maskValue: this.maskValue, salt: null, outputMode: this.outputMode, sparse: false };
  }
}
