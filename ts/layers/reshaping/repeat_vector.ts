import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { repeatAxes } from '../../ops/resampling.js';
import { type Shape, SymbolicTensor } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/** Repeats each sample's vector `n` times: [batch, features] -> [batch, n, features]. */
export class RepeatVector extends Layer {
  /** The number of repetitions. */
  readonly n: number;

  constructor(n: number | (LayerArgs & { n: number }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([n, args], ['n']);
    super(options);
    const count = main[0];
    if (typeof count !== 'number' || !Number.isInteger(count)) throw new ValueError(`Expected an integer value for \`n\`, got ${describeArgument(count)}`);
    if (count <= 0) throw new ValueError(`Argument \`n\` should be a positive integer. Received: n=${count}`);
    this.n = count;
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, 2);
  }

  call(inputs: LayerInput): LayerOutput {
    const features = inputs.shape[1] as number;
    const column = inputs instanceof SymbolicTensor ? ops.reshapeSamples(inputs, [1, features]) : inputs.reshape([-1, 1, features]);
    return repeatAxes(column, [1, this.n, 1]);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), n: this.n };
  }
}
