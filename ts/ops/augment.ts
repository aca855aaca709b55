// Image augmentation recorded in graphs (Keras' Random* layers): the engine draws each image's
// parameters from its seeded generator and applies them only while fitting.
import type * as schema from '../native_schema.js';
import type { SymbolicTensor } from '../symbolic.js';
import { record } from './recording.js';

export type FillMode = schema.FillMode;
export type Interpolation = schema.Interpolation;

/** The augmentations the engine knows, with their ranges (kiln-core's `Augmentation`). */
export type Augmentation = schema.Augmentation;

/**
 * @internal Records a training-only augmentation of images [batch, h, w, c]; at inference the
 * op passes `atInference` through (a crop's centred resize), else `x`.
 */
export function augment(x: SymbolicTensor, augmentation: Augmentation, atInference?: SymbolicTensor): SymbolicTensor {
  const shape = augmentation.kind === 'crop' ? [x.shape[0], augmentation.height, augmentation.width, x.shape[3]] : x.shape;
  return record({ op: 'augment', augmentation }, atInference ? [x, atInference] : [x], shape);
}
