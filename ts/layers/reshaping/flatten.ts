import * as ops from '../../ops.js';
import { SymbolicTensor } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerInput, type LayerOutput } from '../layer.js';

/** Flattens each sample to one axis, keeping the batch axis. */
export class Flatten extends Layer {
  constructor(args: LayerArgs = {}) {
    super(args);
  }

  call(inputs: LayerInput): LayerOutput {
    if (inputs instanceof SymbolicTensor) return ops.reshapeSamples(inputs, [-1]);
    return inputs.reshape([inputs.shape[0] ?? -1, -1]);
  }
}
