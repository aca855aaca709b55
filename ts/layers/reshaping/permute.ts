import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/** Reorders the axes of each sample: `dims` lists input axes (1-based, batch excluded) in their new order. */
export class Permute extends Layer {
  /** The input axes (1-based) in their new order. */
  readonly dims: number[];

  constructor(dims: number[] | (LayerArgs & { dims: number[] }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([dims, args], ['dims']);
    super(options);
    const list = main[0] as number[];
    const sorted = Array.isArray(list) && list.every(Number.isInteger) ? [...list].sort((a, b) => a - b) : [];
    if (!Array.isArray(list) || sorted.length !== list.length || sorted.some((d, i) => d !== i + 1)) {
      throw new ValueError(`Invalid permutation argument \`dims\` for Permute Layer. The set of indices in \`dims\` must be consecutive and start from 1. Received dims=${describeArgument(list)}`);
    }
    this.dims = [...list];
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, this.dims.length + 1);
  }

  call(inputs: LayerInput): LayerOutput {
    return ops.transpose(inputs, [0, ...this.dims]);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), dims: this.dims };
  }
}
