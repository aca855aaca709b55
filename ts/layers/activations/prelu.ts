import type { InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

export interface PReLUArgs extends LayerArgs {
  /** Initial slopes (default 'zeros'). */
  alphaInitializer?: InitializerIdentifier;
  /** Axes (1-based, as Keras) along which one slope is shared. */
  sharedAxes?: number[];
}

/** Parametric ReLU: x for x > 0, else alpha · x with a learned alpha per unit. */
export class PReLU extends Layer {
  /** The learned slopes (after build). */
  alpha!: Variable;
  private readonly alphaInitializer: InitializerIdentifier;
  /** Axes (1-based) along which one slope is shared (default none). */
  readonly sharedAxes: number[];

  constructor(args: PReLUArgs = {}) {
    super(args, ['alphaInitializer', 'sharedAxes']);
    args ??= {}; // null: Layer accepted it as no options
    this.alphaInitializer = args.alphaInitializer ?? 'zeros';
    this.sharedAxes = args.sharedAxes ?? [];
  }

  build(inputShape: Shape): void {
    const shape = inputShape.slice(1).map((d, i) => (this.sharedAxes.includes(i + 1) ? 1 : (d as number)));
    this.alpha = this.addWeight({ name: 'alpha', shape, initializer: this.alphaInitializer });
  }

  call(inputs: LayerInput): LayerOutput {
    // relu(x) - alpha · relu(-x), as Keras computes it.
    return ops.sub(ops.relu(inputs), ops.mul(this.alpha, ops.relu(ops.negative(inputs))));
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), sharedAxes: this.sharedAxes };
  }
}
