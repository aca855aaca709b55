// Image augmentation recorded in graphs (Keras' Random* layers): the engine draws each image's
// parameters from its seeded generator and applies them only while fitting.
import type { SymbolicTensor } from '../symbolic.js';
import { record } from './recording.js';

export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest';
export type Interpolation = 'nearest' | 'bilinear';

interface Resample {
  fill_mode: FillMode;
  interpolation: Interpolation;
  fill_value: number;
}

/** The augmentations the engine knows, with their ranges (as kernels/augment.rs reads them). */
export type Augmentation =
  | { kind: 'flip'; horizontal: boolean; vertical: boolean }
  | ({ kind: 'rotation'; factor: [number, number] } & Resample)
  | ({ kind: 'zoom'; height: [number, number]; width: [number, number] | null } & Resample)
  | ({ kind: 'translation'; height: [number, number]; width: [number, number] } & Resample)
  | { kind: 'contrast'; factor: [number, number]; value_range: [number, number] }
  | { kind: 'brightness'; factor: [number, number]; value_range: [number, number] }
  | { kind: 'crop'; height: number; width: number };

/**
 * @internal Records a training-only augmentation of images [batch, h, w, c]; at inference the
 * op passes `atInference` through (a crop's centred resize), else `x`.
 */
export function augment(x: SymbolicTensor, augmentation: Augmentation, atInference?: SymbolicTensor): SymbolicTensor {
  const shape = augmentation.kind === 'crop' ? [x.shape[0], augmentation.height, augmentation.width, x.shape[3]] : x.shape;
  return record({ op: 'augment', augmentation }, atInference ? [x, atInference] : [x], shape);
}
