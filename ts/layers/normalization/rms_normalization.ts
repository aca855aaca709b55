// Keras' RMSNormalization: x / sqrt(mean(x²) + epsilon) over `axis`, times a learnt `scale`
// of the normalised axes' shape (no centring, no offset).
import { ShapeError, ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { checkAxisOption, resolveAxes } from '../axes.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument } from '../main_arguments.js';

export interface RMSNormalizationArgs extends LayerArgs {
  /** The axis or axes normalised together; they must be the last ones (default -1). */
  axis?: number | number[];
  /** Default 1e-6. */
  epsilon?: number;
}

/**
 * Root-mean-square normalization, as Keras' `RMSNormalization`: x / sqrt(mean(x²) + epsilon)
 * over the last axes, times a learnt scale (initialised to ones). Axes other than the last ones
 * are refused.
 */
export class RMSNormalization extends Layer {
  /** The axis or axes normalised (the last ones). */
  readonly axis: number | number[];
  /** Added to the mean square, for stability (default 1e-6). */
  readonly epsilon: number;
  /** The learnt scale (after build). */
  scale?: Variable;

  constructor(args: RMSNormalizationArgs = {}) {
    super(args, ['axis', 'epsilon']);
    args ??= {}; // null: Layer accepted it as no options
    this.axis = checkAxisOption(this.name, args.axis ?? -1, true);
    if (args.epsilon !== undefined && !(typeof args.epsilon === 'number' && args.epsilon >= 0))
      throw new ValueError(`Layer "${this.name}": epsilon must be a non-negative number, got ${describeArgument(args.epsilon)}`);
    this.epsilon = args.epsilon ?? 1e-6;
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    const axes = resolveAxes(this.name, this.axis, shape.length);
    // Keras multiplies by a scale of the axes' shape, which broadcasts against the last axes:
    // other axes would mean something else (or fail there).
    if (axes.some((a, i) => a !== shape.length - axes.length + i)) {
      throw new ValueError(
        `Layer "${this.name}": RMSNormalization's axes must be the input's last ones (its scale broadcasts over them, as in Keras), got axis ${JSON.stringify(this.axis)} for an input of rank ${shape.length}`,
      );
    }
    const sizes = axes.map((a) => shape[a]);
    if (sizes.some((d) => d === null))
      throw new ShapeError(`Layer "${this.name}": the normalised axes ${JSON.stringify(this.axis)} must have known sizes, got input shape [${shape.map((d) => d ?? 'null').join(', ')}]`);
    this.scale = this.addWeight({ name: 'scale', shape: sizes as number[], initializer: 'ones' });
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    const x = inputs as LayerInput;
    const axes = resolveAxes(this.name, this.axis, x.shape.length);
    const inverseRms = ops.div(1, ops.sqrt(ops.add(ops.mean(ops.square(x), axes, true), this.epsilon)));
    return ops.mul(ops.mul(x, inverseRms), this.scale!);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis, epsilon: this.epsilon };
  }
}
