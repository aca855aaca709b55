import { BaseSpatialDropout, type SpatialDropoutArgs } from './spatial_dropout.js';

/** Drops whole channels of volumes [batch, depth, height, width, channels] in training. */
export class SpatialDropout3D extends BaseSpatialDropout {
  constructor(rate: number | (SpatialDropoutArgs & { rate: number }), args: SpatialDropoutArgs = {}) {
    super(3, [rate, args]);
  }
}
