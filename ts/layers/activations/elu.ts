import * as ops from '../../ops.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

/** x for x > 0, else alpha · (exp(x) - 1) (default alpha 1). */
export class ELU extends Layer {
  readonly alpha: number;

  constructor(args: LayerArgs & { alpha?: number } = {}) {
    super(args, ['alpha']);
    this.alpha = args.alpha ?? 1;
  }

  call(inputs: LayerInput): LayerOutput {
    // elu(x) is alpha 1; other alphas scale its negative part: elu + (alpha - 1) · min(elu, 0).
    const y = ops.elu(inputs);
    return this.alpha === 1 ? y : ops.add(y, ops.mul(ops.minimum(y, 0), this.alpha - 1));
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}
