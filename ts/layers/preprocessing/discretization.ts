import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { describeValue } from '../../utils/options.js';
import type { LayerArgs, LayerConfig } from '../layer.js';
import { adaptBatches, type DataBatches, DataLayer, type DataOutputSpec, encodedOutputShape, outputTensor, requireNumbers, requireOptionsObject } from './data_layer.js';
import type { Shape, SymbolicDType } from '../../symbolic.js';
import { checkOutputMode, encodeCategorical, type EncodedOutputMode } from './encode_categorical.js';
import { binBoundaries, mergeSummaries, type QuantileSummary, summarize } from './quantile_summary.js';

const DISCRETIZATION_OUTPUT_MODES = ['int', 'one_hot', 'multi_hot', 'count'] as const;

export interface DiscretizationArgs extends LayerArgs {
  /** Sorted bin edges: bin i holds boundaries[i-1] <= x < boundaries[i]. Or use numBins and adapt(). */
  binBoundaries?: number[] | null;
  /** The number of bins adapt() makes from the data's quantiles. */
  numBins?: number | null;
  /** adapt()'s quantile precision (default 0.01). */
  epsilon?: number;
  /** 'int' (default), 'one_hot', 'multi_hot' or 'count'. */
  outputMode?: 'int' | EncodedOutputMode;
  /** Only false. */
  sparse?: boolean;
}

/**
 * Buckets numbers into ranges (Keras' Discretization): `binBoundaries` given, or learnt as
 * approximate quantiles by `await layer.adapt(data)` with `numBins`, by Keras' own summary
 * algorithm so the boundaries are the same. Runs in JavaScript on concrete data.
 */
export class Discretization extends DataLayer {
  /** The bin edges (given, or set by adapt(); null before). */
  binBoundaries: number[] | null;
  /** The number of bins adapt() makes, if given. */
  readonly numBins: number | null;
  /** adapt()'s quantile precision. */
  readonly epsilon: number;
  /** 'int', 'one_hot', 'multi_hot' or 'count'. */
  readonly outputMode: 'int' | EncodedOutputMode;

  constructor(args: DiscretizationArgs = {}) {
    requireOptionsObject('Discretization', args);
    const { binBoundaries: boundaries = null, numBins = null, epsilon = 0.01, outputMode = 'int', sparse = false, ...rest } = args ?? {};
    super(rest, ['binBoundaries', 'numBins', 'epsilon', 'outputMode', 'sparse']);
    this.outputMode = checkOutputMode(this.where, outputMode, DISCRETIZATION_OUTPUT_MODES);
    if (sparse) throw new ValueError(`${this.where}: \`sparse: true\` is not supported (kiln has no sparse tensors)`);
    if (boundaries !== null && numBins !== null)
      throw new ValueError(`${this.where}: both \`numBins\` and \`binBoundaries\` should not be set. Received: numBins=${numBins} and binBoundaries=${describeValue(boundaries)}`);
    if (boundaries === null && numBins === null) throw new ValueError(`${this.where}: set \`binBoundaries\`, or \`numBins\` and call adapt()`);
    if (boundaries !== null) Discretization.checkedBoundaries(this, boundaries);
    if (numBins !== null && (!Number.isInteger(numBins) || numBins < 1)) throw new ValueError(`${this.where}: \`numBins\` must be a positive integer, got ${describeValue(numBins)}`);
    if (!(typeof epsilon === 'number' && epsilon > 0 && epsilon < 1)) throw new ValueError(`${this.where}: \`epsilon\` must be a number in (0, 1), got ${describeValue(epsilon)}`);
    this.binBoundaries = boundaries;
    this.numBins = numBins;
    this.epsilon = epsilon;
  }

  private static checkedBoundaries(layer: Discretization, boundaries: unknown): number[] {
    const sorted = Array.isArray(boundaries) && boundaries.every((b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b >= boundaries[i - 1]));
    if (!sorted) throw new ValueError(`${layer.where}: \`binBoundaries\` must be a sorted list of finite numbers, got ${describeValue(boundaries)}`);
    return boundaries as number[];
  }

  /** Its output in a model: bin indices shaped as the input ('int'), or the encoded vectors. */
  outputSpec(inputShape: Shape, inputDtype: SymbolicDType): DataOutputSpec {
    this.requireInputKind(inputDtype, 'number');
    const depth = this.binBoundaries !== null ? this.binBoundaries.length + 1 : this.numBins;
    return { shape: encodedOutputShape(this.where, inputShape, this.outputMode, depth), dtype: this.outputMode === 'int' ? 'int32' : 'float32' };
  }

  protected compute(data: unknown): Tensor {
    if (this.binBoundaries === null)
      throw new ValueError(`${this.where}: you need to either pass the \`binBoundaries\` argument at construction time or call adapt(dataset) before you can start using the Discretization layer`);
    const flat = requireNumbers(this.where, this.flattenInput(data), data);
    // Compared in float32, as Keras' digitize on float32 inputs.
    const edges = this.binBoundaries.map(Math.fround);
    const bins = flat.values.map((v) => {
      const x = Math.fround(v);
      let lo = 0;
      let hi = edges.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (edges[mid] <= x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    });
    if (this.outputMode === 'int') return outputTensor(bins, flat.shape, 'int32');
    return encodeCategorical(this.where, { values: bins, shape: flat.shape }, this.outputMode, edges.length + 1);
  }

  /** Learns `numBins` bins from the data's approximate quantiles (Keras' adapt). */
  async adapt(data: DataBatches): Promise<void> {
    if (this.numBins === null) throw new ValueError(`${this.where}: cannot adapt a Discretization layer that has been initialized with \`binBoundaries\`, use \`numBins\` instead`);
    let summary: QuantileSummary = { values: [], weights: [] };
    let seen = 0;
    for await (const batch of adaptBatches(data)) {
      const flat = requireNumbers(this.where, this.flattenInput(batch), batch);
      if (flat.values.some((v) => !Number.isFinite(v))) throw new ValueError(`${this.where}: adapt() data must be finite numbers (no NaN or Infinity)`);
      seen += flat.values.length;
      summary = mergeSummaries(summarize(flat.values, this.epsilon), summary, this.epsilon);
    }
    if (seen === 0) throw new ValueError(`${this.where}: adapt() received no data (an empty array or no batches); expected at least one number`);
    this.binBoundaries = binBoundaries(summary, this.numBins);
  }

  /** After adapt() the config holds both numBins and the learnt binBoundaries (as Keras' from_config). */
  static fromConfig(config: DiscretizationArgs): Discretization {
    if (config.binBoundaries == null || config.numBins == null) return new Discretization(config);
    const layer = new Discretization({ ...config, binBoundaries: null });
    layer.binBoundaries = Discretization.checkedBoundaries(layer, config.binBoundaries);
    return layer;
  }

  /** Its configuration (Keras' `get_config`): the bins and output mode. */
  getConfig(): LayerConfig {
    return { ...super.getConfig(), binBoundaries: this.binBoundaries, numBins: this.numBins, epsilon: this.epsilon, outputMode: this.outputMode, sparse: false };
  }
}
