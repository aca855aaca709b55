// Training-time noise recorded in graphs (the engine applies it only while fitting; eager
// calls are inference, where these are the identity).
import type { SymbolicTensor } from '../symbolic.js';
import { record } from './recording.js';

/** @internal Inverted dropout whose mask is shared along `sharedAxes` (SpatialDropout). */
export function sharedDropout(x: SymbolicTensor, rate: number, sharedAxes: number[]): SymbolicTensor {
  return record({ op: 'dropout', rate, shared_axes: sharedAxes }, [x], x.shape);
}

/** @internal x + N(0, stddev²) in training. */
export function gaussianNoise(x: SymbolicTensor, stddev: number): SymbolicTensor {
  return record({ op: 'gaussian_noise', stddev }, [x], x.shape);
}

/** @internal x · N(1, rate / (1 - rate)) in training. */
export function gaussianDropout(x: SymbolicTensor, rate: number): SymbolicTensor {
  return record({ op: 'gaussian_dropout', rate }, [x], x.shape);
}
