import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/** Softmax over the last axis. */
export class Softmax extends Layer {
  readonly axis: number;

  constructor(axis?: number | (LayerArgs & { axis?: number }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([axis, args], ['axis']);
    super(options);
    this.axis = (main[0] ?? -1) as number;
    if (this.axis !== -1) throw new ValueError(`Layer "${this.name}": only axis -1 is supported in this version, got ${describeArgument(this.axis)}`);
  }

  call(inputs: LayerInput): LayerOutput {
    return ops.softmax(inputs);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}
