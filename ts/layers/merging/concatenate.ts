import { ShapeError, ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import type { LayerArgs, LayerConfig, LayerInput, LayerOutput } from '../layer.js';
import { BaseMerge } from './base_merge.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/** A mask [batch, steps] of ones for x [batch, steps, ...] (0 * x is 0, which differs from 1). */
const everyStep = (x: LayerInput) => ops.notEqual(ops.max(ops.mul(x, 0), -1), 1);

/** Joins its inputs along `axis` (default -1); their shapes must match on the other axes. */
export class Concatenate extends BaseMerge {
  /** The axis the inputs are joined along. */
  readonly axis: number;

  constructor(axis?: number | (LayerArgs & { axis?: number }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([axis, args], ['axis']);
    super(options);
    this.axis = (main[0] ?? -1) as number;
    if (!Number.isInteger(this.axis)) throw new ValueError(`Layer "${this.name}": \`axis\` must be an integer, got ${describeArgument(this.axis)}`);
  }

  protected checkShapes(shapes: Shape[]): void {
    const rank = shapes[0].length;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    const mismatch = shapes.some((s) => s.length !== rank || s.some((d, k) => k !== axis && k !== 0 && d !== null && shapes[0][k] !== null && d !== shapes[0][k]));
    if (mismatch || axis <= 0 || axis >= rank) {
      throw new ShapeError(
        `A Concatenate layer ("${this.name}") requires inputs with matching shapes except for the concatenation axis ${this.axis}. Received: input_shape=${shapes.map((s) => `[${s.map((d) => d ?? 'null').join(', ')}]`).join(', ')}`,
      );
    }
  }

  protected merge(inputs: LayerInput[]): LayerOutput {
    return ops.concat(inputs, this.axis);
  }

  /**
   * Keras: along the time axis the masks are joined (an input without one counts as present);
   * along the features a step is present where any input has it (an input without a mask has
   * every step).
   */
  computeMask(inputs: LayerInput | LayerInput[]): LayerInput | undefined {
    const list = inputs as LayerInput[];
    const masks = this.inputMasks(list);
    if (masks.every((m) => m === undefined)) return undefined;
    const rank = list[0].shape.length;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    if (axis === 1 && rank >= 3)
      return ops.concat(
        masks.map((m, i) => m ?? everyStep(list[i])),
        1,
      );
    return super.computeMask(list);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}
