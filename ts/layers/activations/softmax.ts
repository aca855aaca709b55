import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

/** Softmax over the last axis. */
export class Softmax extends Layer {
  readonly axis: number;

  constructor(args: LayerArgs & { axis?: number } = {}) {
    super(args, ['axis']);
    this.axis = args.axis ?? -1;
    if (this.axis !== -1) throw new ValueError(`Layer "${this.name}": only axis -1 is supported in this version, got ${this.axis}`);
  }

  call(inputs: LayerInput): LayerOutput {
    return ops.softmax(inputs);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}
