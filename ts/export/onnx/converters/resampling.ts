// Ops that move values: axis permutation (Permute), zero padding and cropping (ZeroPadding,
// Cropping), repetition (UpSampling 'nearest', RepeatVector) and linear resizing (UpSampling2D
// 'bilinear').
import { ValueError } from '../../../errors.js';
import type { OpConverter } from '../op_conversion.js';
import { inChannelsFirst } from './layout.js';

export const convertTranspose: OpConverter<'transpose'> = (op) => op.builder.add('Transpose', [op.input(0)], { perm: op.spec.perm });

/** ONNX's Pad takes all begins then all ends; negative amounts crop, as in kiln's op. */
export const convertPad: OpConverter<'pad'> = (op) => {
  const { paddings } = op.spec;
  const pads = op.builder.int64Initializer(`${op.layerName}/pads`, [...paddings.map((p) => p[0]), ...paddings.map((p) => p[1])]);
  return op.builder.add('Pad', [op.input(0), pads], { mode: 'constant' });
};

/** Each index repeated r times in a row is nearest-neighbour resizing by r with floor rounding. */
export const convertRepeat: OpConverter<'repeat'> = (op) => {
  const { repeats } = op.spec;
  const scales = op.builder.floatInitializer(`${op.layerName}/scales`, { shape: [repeats.length], values: Float32Array.from(repeats) });
  return op.builder.add('Resize', [op.input(0), '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
};

/**
 * Linear interpolation with half-pixel centres and clamped edges (as jax.image.resize) is ONNX's
 * linear Resize with 'half_pixel'; runtimes resize the inner axes, so channels go first.
 */
export const convertResizeLinear: OpConverter<'resize_linear'> = (op) => {
  const { factors } = op.spec;
  const rank = factors.length;
  if (rank < 3 || factors[0] !== 1 || factors[rank - 1] !== 1) {
    throw new ValueError(`Layer "${op.layerName}" cannot be exported to ONNX: linear resizing is exported over the spatial axes of channels-last data only, got factors ${JSON.stringify(factors)}`);
  }
  const scales = op.builder.floatInitializer(`${op.layerName}/scales`, { shape: [rank], values: Float32Array.from([1, 1, ...factors.slice(1, -1)]) });
  return inChannelsFirst(op.builder, op.input(0), rank, (x) => op.builder.add('Resize', [x, '', scales], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }));
};
