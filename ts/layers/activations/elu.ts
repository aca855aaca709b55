import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/** x for x > 0, else alpha · (exp(x) - 1) (default alpha 1). */
export class ELU extends Layer {
  /** The scale of the negative part (default 1). */
  readonly alpha: number;

  constructor(alpha?: number | (LayerArgs & { alpha?: number }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([alpha, args], ['alpha']);
    super(options);
    this.alpha = (main[0] ?? 1) as number;
    if (typeof this.alpha !== 'number' || !Number.isFinite(this.alpha)) throw new ValueError(`Layer "${this.name}": \`alpha\` must be a finite number, got ${describeArgument(this.alpha)}`);
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
