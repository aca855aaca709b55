import { ShapeError, ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import { type CallOptions, Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/**
 * Applies a layer to every time step of [batch, timesteps, ...]: the time axis is folded into
 * the batch, the layer runs once on [batch·timesteps, ...], and the result is unfolded.
 */
export class TimeDistributed extends Layer {
  /** The layer applied at each step. */
  readonly layer: Layer;

  constructor(layer: Layer | (LayerArgs & { layer: Layer }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([layer, args], ['layer']);
    [layer, args] = [main[0] as Layer, options];
    super(args);
    if (!(layer instanceof Layer)) {
      throw new ValueError(`Please initialize \`TimeDistributed\` layer with a \`kiln.layers.Layer\` instance. Received: ${describeArgument(layer)}`);
    }
    this.layer = layer;
    this.supportsMasking = true;
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    if (shape.length < 3 || shape.slice(1).some((d) => d === null)) {
      throw new ShapeError(
        `\`TimeDistributed\` Layer "${this.name}" should be passed an \`inputShape\` with at least 3 dimensions (batch, timesteps, ...), all but the batch known; received: [${shape.map((d) => d ?? 'null').join(', ')}]`,
      );
    }
  }

  call(inputs: LayerInput | LayerInput[], options: CallOptions = {}): LayerOutput {
    const x = inputs as LayerInput;
    const [, steps, ...inner] = x.shape as number[];
    const folded = ops.reshape(x, [-1, ...inner]);
    const y = this.layer.applyAny(folded, { training: options.training });
    if (Array.isArray(y)) throw new ValueError(`Layer "${this.name}": TimeDistributed needs a layer with one output, "${this.layer.name}" returns ${y.length}`);
    return ops.reshape(y, [-1, steps, ...(y.shape.slice(1) as number[])]);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), layer: { className: this.layer.constructor.name, config: this.layer.getConfig() } };
  }
}
