import { ShapeError, ValueError } from '../../errors.js';
import { padOrCrop } from '../../ops/resampling.js';
import type { Shape } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument } from '../main_arguments.js';

/** `[before, after]` amounts for each spatial axis. */
export type Margins = [number, number][];

/** A non-negative integer or a pair of them, as a pair. */
function pair(value: unknown, what: string, layer: string): [number, number] {
  const list = Array.isArray(value) ? value : [value, value];
  if (list.length !== 2 || list.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new ValueError(`Layer "${layer}": the ${what} must be a non-negative integer or a pair of them, got ${describeArgument(value)}`);
  }
  return list as [number, number];
}

const ORDINALS = ['1st', '2nd', '3rd'];

/**
 * Keras' forms of a padding or cropping argument: one integer for every side; for 2-D and
 * 3-D, one entry per axis (an integer for both sides, or a [before, after] pair); for 1-D, a
 * [before, after] pair.
 */
export function normalizeMargins(value: unknown, spatialAxes: 1 | 2 | 3, argument: string, layer: string): Margins {
  if (spatialAxes === 1) return [pair(value, `\`${argument}\``, layer)];
  const axes = Array.from({ length: spatialAxes }, (_, i) => i);
  if (typeof value === 'number') return axes.map(() => pair(value, `\`${argument}\``, layer));
  if (!Array.isArray(value) || value.length !== spatialAxes) {
    const forms =
      spatialAxes === 2
        ? 'a tuple of 2 ints (symmetric_height, symmetric_width), or a tuple of 2 tuples of 2 ints ((top, bottom), (left, right))'
        : 'a tuple of 3 ints (symmetric_dim1, symmetric_dim2, symmetric_dim3), or a tuple of 3 tuples of 2 ints ((left_dim1, right_dim1), (left_dim2, right_dim2), (left_dim3, right_dim3))';
    throw new ValueError(`Layer "${layer}": \`${argument}\` should be either an int, ${forms}. Received: ${argument}=${describeArgument(value)}`);
  }
  return axes.map((i) => pair(value[i], `${ORDINALS[i]} entry of \`${argument}\``, layer));
}

/**
 * Adds zeros around (`sign` 1, ZeroPadding) or cuts from (`sign` -1, Cropping) the spatial
 * axes of channels-last inputs [batch, ...spatial, channels].
 */
export abstract class BaseMargins extends Layer {
  /** The [before, after] amounts for each spatial axis. */
  readonly margins: Margins;

  /** @param spatialAxes The number of spatial axes (1, 2 or 3). */
  constructor(
    readonly spatialAxes: 1 | 2 | 3,
    private readonly sign: 1 | -1,
    private readonly argument: 'padding' | 'cropping',
    value: unknown,
    args: LayerArgs & { dataFormat?: 'channels_last' },
  ) {
    const { dataFormat, ...rest } = args;
    super(rest);
    if (dataFormat !== undefined && dataFormat !== 'channels_last') {
      throw new ValueError(`Layer "${this.name}": only dataFormat 'channels_last' is supported, got '${dataFormat}'`);
    }
    this.margins = normalizeMargins(value, spatialAxes, argument, this.name);
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, this.spatialAxes + 2);
    if (this.sign < 0 && this.margins.some(([a, b], i) => inputShape[i + 1] !== null && a + b >= (inputShape[i + 1] as number))) {
      const received = `[${inputShape.map((d) => d ?? 'null').join(', ')}]`;
      throw new ShapeError(
        `Layer "${this.name}": values in \`cropping\` argument should be smaller than the corresponding spatial dimension of the input. Received: input_shape=${received}, cropping=${JSON.stringify(this.margins)}`,
      );
    }
  }

  call(inputs: LayerInput): LayerOutput {
    const amounts: [number, number][] = [[0, 0], ...this.margins.map(([a, b]) => [this.sign * a, this.sign * b] as [number, number]), [0, 0]];
    return padOrCrop(inputs, amounts);
  }

  getConfig(): LayerConfig {
    const value = this.spatialAxes === 1 ? this.margins[0] : this.margins;
    return { ...super.getConfig(), [this.argument]: value, dataFormat: 'channels_last' };
  }
}
