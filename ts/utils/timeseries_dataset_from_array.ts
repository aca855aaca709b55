import { Dataset } from '../data/dataset.js';
import { typedArrayFor } from '../data/element.js';
import { ShapeError, ValueError } from '../errors.js';
import { tensor, toTensor, type Tensor, type TensorLike } from '../tensor.js';
import { numpyShuffle } from './mersenne_twister.js';
import { drawSeed } from './seeded_random.js';

/** The options of `timeseriesDatasetFromArray` (Keras' `timeseries_dataset_from_array`). */
export interface TimeseriesDatasetOptions {
  /** Steps between the starts of consecutive sequences. Default 1. */
  sequenceStride?: number;
  /** Steps between two samples within a sequence. Default 1. */
  samplingRate?: number;
  /** Sequences per batch; `null` yields single sequences. Default 128. */
  batchSize?: number | null;
  /** Shuffle the sequences (their start positions, with numpy's RandomState as Keras). Default false. */
  shuffle?: boolean;
  /** The shuffle seed (default: drawn from kiln's generator, so `kiln.setSeed` repeats it). */
  seed?: number;
  /** First step of `data` used (inclusive). Default 0. */
  startIndex?: number;
  /** Last step of `data` used (exclusive). Default: the end. */
  endIndex?: number;
}

/**
 * Sliding windows over a time series (Keras' `keras.utils.timeseries_dataset_from_array`):
 * sequence i holds steps `start + i * sequenceStride + k * samplingRate` (k < sequenceLength) of
 * `data`, and its target is `targets[start + i * sequenceStride]`. Yields `[sequences, targets]`
 * batches, or sequences alone when `targets` is null.
 */
export function timeseriesDatasetFromArray(data: TensorLike, targets: TensorLike | null, sequenceLength: number, options: TimeseriesDatasetOptions = {}): Dataset {
  const series = toTensor(data);
  const length = series.shape[0];
  if (series.rank === 0) throw new ShapeError('timeseriesDatasetFromArray: `data` must have a time axis, got a scalar');
  const { sequenceStride = 1, samplingRate = 1, shuffle = false } = options;
  const batchSize = options.batchSize === undefined ? 128 : options.batchSize;
  const { startIndex, endIndex } = options;
  if (startIndex) {
    if (startIndex < 0) throw new ValueError(`\`startIndex\` must be 0 or greater. Received: startIndex=${startIndex}`);
    if (startIndex >= length) throw new ValueError(`\`startIndex\` must be lower than the length of the data. Received: startIndex=${startIndex}, for data of length ${length}`);
  }
  if (endIndex) {
    if (startIndex && endIndex <= startIndex) throw new ValueError(`\`endIndex\` must be higher than \`startIndex\`. Received: startIndex=${startIndex}, and endIndex=${endIndex}`);
    if (endIndex >= length) throw new ValueError(`\`endIndex\` must be lower than the length of the data. Received: endIndex=${endIndex}, for data of length ${length}`);
    if (endIndex <= 0) throw new ValueError(`\`endIndex\` must be higher than 0. Received: endIndex=${endIndex}`);
  }
  if (!Number.isInteger(sequenceLength) || sequenceLength <= 0) throw new ValueError(`\`sequenceLength\` must be a positive integer. Received: sequenceLength=${sequenceLength}`);
  if (samplingRate <= 0) throw new ValueError(`\`samplingRate\` must be higher than 0. Received: samplingRate=${samplingRate}`);
  if (samplingRate >= length) throw new ValueError(`\`samplingRate\` must be lower than the length of the data. Received: samplingRate=${samplingRate}, for data of length ${length}`);
  if (sequenceStride <= 0) throw new ValueError(`\`sequenceStride\` must be higher than 0. Received: sequenceStride=${sequenceStride}`);
  if (sequenceStride >= length) throw new ValueError(`\`sequenceStride\` must be lower than the length of the data. Received: sequenceStride=${sequenceStride}, for data of length ${length}`);
  if (batchSize !== null && (!Number.isInteger(batchSize) || batchSize <= 0)) throw new ValueError(`\`batchSize\` must be a positive integer or null. Received: batchSize=${batchSize}`);

  const start = startIndex ?? 0;
  const end = endIndex ?? length;
  const labels = targets === null || targets === undefined ? undefined : toTensor(targets);
  let count = end - start - (sequenceLength - 1) * samplingRate;
  if (labels) count = Math.min(count, labels.shape[0]);
  const positions: number[] = [];
  for (let p = 0; p < count; p += sequenceStride) positions.push(p);
  if (shuffle) numpyShuffle(positions, options.seed ?? drawSeed());

  const seriesData = series.dataSync();
  const stepSize = series.size / length;
  const labelData = labels?.dataSync();
  const labelSize = labels ? labels.size / Math.max(1, labels.shape[0]) : 0;
  const chunk = batchSize ?? 1;
  const makeBatch = (chosen: number[]): Tensor | Tensor[] => {
    const windows = typedArrayFor(series.dtype, chosen.length * sequenceLength * stepSize);
    chosen.forEach((position, row) => {
      for (let k = 0; k < sequenceLength; k++) {
        const step = start + position + k * samplingRate;
        windows.set(seriesData.subarray(step * stepSize, (step + 1) * stepSize), (row * sequenceLength + k) * stepSize);
      }
    });
    const lead = batchSize === null ? [] : [chosen.length];
    const x = tensor(windows, [...lead, sequenceLength, ...series.shape.slice(1)], series.dtype);
    if (!labels || !labelData) return x;
    const y = typedArrayFor(labels.dtype, chosen.length * labelSize);
    chosen.forEach((position, row) => y.set(labelData.subarray((start + position) * labelSize, (start + position + 1) * labelSize), row * labelSize));
    return [x, tensor(y, [...lead, ...labels.shape.slice(1)], labels.dtype)];
  };
  return new Dataset(
    async function* () {
      for (let first = 0; first < positions.length; first += chunk) yield makeBatch(positions.slice(first, first + chunk));
    },
    Math.ceil(positions.length / chunk),
  );
}
