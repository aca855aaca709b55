import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { SymbolicTensor } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/** Gives each sample a new shape (the batch axis stays); one dimension may be -1. */
export class Reshape extends Layer {
  /** Each sample's new shape. */
  readonly targetShape: number[];

  constructor(targetShape: number[] | (LayerArgs & { targetShape: number[] }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([targetShape, args], ['targetShape']);
    [targetShape, args] = [main[0] as number[], options];
    super(args);
    if (!Array.isArray(targetShape) || targetShape.some((d) => !Number.isInteger(d) || (d <= 0 && d !== -1)) || targetShape.filter((d) => d === -1).length > 1) {
      throw new ValueError(`Layer "${this.name}": targetShape must be positive integers with at most one -1, got ${describeArgument(targetShape)}`);
    }
    this.targetShape = targetShape;
  }

  call(inputs: LayerInput): LayerOutput {
    if (inputs instanceof SymbolicTensor) return ops.reshapeSamples(inputs, this.targetShape);
    return inputs.reshape([inputs.shape[0], ...this.targetShape]);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}
