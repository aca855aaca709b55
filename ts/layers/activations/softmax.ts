import * as ops from '../../ops.js';
import { SymbolicTensor } from '../../symbolic.js';
import { checkAxisOption, resolveAxes, withAxesLast } from '../axes.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { mainArguments } from '../main_arguments.js';

/** Reshapes each sample (the batch axis stays), concrete or symbolic. */
function reshapeSamples(x: LayerInput, shape: number[]): LayerInput {
  return x instanceof SymbolicTensor ? ops.reshapeSamples(x, shape) : x.reshape([x.shape[0] as number, ...shape]);
}

/** Softmax over `axis` (default -1); over several axes, they are normalised together. */
export class Softmax extends Layer {
  /** The axis or axes normalised (default -1). */
  readonly axis: number | number[];

  constructor(axis?: number | number[] | (LayerArgs & { axis?: number | number[] }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([axis, args], ['axis']);
    super(options);
    this.axis = checkAxisOption(this.name, (main[0] ?? -1) as number | number[], true);
  }

  call(inputs: LayerInput): LayerOutput {
    const axes = resolveAxes(this.name, this.axis, inputs.shape.length);
    return withAxesLast(inputs, axes, (moved) => {
      if (axes.length === 1) return ops.softmax(moved);
      // Several axes: merged into one trailing axis for the softmax, then split again.
      const shape = moved.shape.slice(1) as number[];
      const kept = shape.slice(0, shape.length - axes.length);
      const merged = shape.slice(kept.length).reduce((a, b) => a * b, 1);
      return reshapeSamples(ops.softmax(reshapeSamples(moved, [...kept, merged])), shape);
    });
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}
