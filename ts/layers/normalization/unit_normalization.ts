// Keras' UnitNormalization: each sample scaled to unit L2 norm over `axis`, as Keras'
// ops.normalize: x · min(1 / sqrt(Σ x²), 1e12).
import * as ops from '../../ops.js';
import { checkAxisOption, resolveAxes } from '../axes.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

export interface UnitNormalizationArgs extends LayerArgs {
  /** The axis or axes whose L2 norm becomes 1 (default -1). */
  axis?: number | number[];
}

/** Keras' epsilon of ops.normalize in this layer: caps 1 / norm for an all-zero slice. */
const EPSILON = 1e-12;

/** Scales each slice along `axis` to unit L2 norm, as Keras' `UnitNormalization`; no weights, and masks pass through. */
export class UnitNormalization extends Layer {
  /** The axis or axes whose L2 norm becomes 1. */
  readonly axis: number | number[];

  constructor(args: UnitNormalizationArgs = {}) {
    super(args, ['axis']);
    args ??= {}; // null: Layer accepted it as no options
    this.axis = checkAxisOption(this.name, args.axis ?? -1, true);
    this.supportsMasking = true;
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    const x = inputs as LayerInput;
    // Keras allows the batch axis here (the layer has no weights).
    const axes = resolveAxes(this.name, this.axis, x.shape.length, true);
    const inverseNorm = ops.minimum(ops.div(1, ops.sqrt(ops.sum(ops.square(x), axes, true))), 1 / EPSILON);
    return ops.mul(x, inverseNorm);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}
