// Keras' ActivityRegularization: the identity, whose input adds l1·Σ|x| + l2·Σx² to the loss
// (the layer's activity regularizer, counted in the trained and reported loss as any other).
import { ValueError } from '../../errors.js';
import { L1L2 } from '../../regularizers/l1l2.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument } from '../main_arguments.js';
import { describeValue, isOptionsObject } from '../../utils/options.js';

/** The options of ActivityRegularization; unknown keys are refused, and so is `activityRegularizer` (set by l1 and l2). */
export interface ActivityRegularizationArgs extends Omit<LayerArgs, 'activityRegularizer'> {
  /** Default 0. */
  l1?: number;
  /** Default 0. */
  l2?: number;
}

/**
 * Passes its input through unchanged and adds l1·Σ|x| + l2·Σx² of it to the training loss, as
 * Keras' `ActivityRegularization`. Negative or non-finite l1 and l2 are refused.
 */
export class ActivityRegularization extends Layer {
  /** The L1 factor. */
  readonly l1: number;
  /** The L2 factor. */
  readonly l2: number;

  constructor(args: ActivityRegularizationArgs = {}) {
    if (args !== null && typeof args === 'object' && 'activityRegularizer' in args) {
      throw new ValueError(
        `ActivityRegularization: its regularizer is set by l1 and l2; an activityRegularizer option is not accepted, got ${describeArgument((args as LayerArgs).activityRegularizer)}`,
      );
    }
    if (args !== undefined && args !== null && !isOptionsObject(args as unknown)) throw new ValueError(`ActivityRegularization: expected an options object, got ${describeValue(args)}`);
    const { l1 = 0, l2 = 0, ...rest } = args ?? {};
    for (const [name, value] of [
      ['l1', l1],
      ['l2', l2],
    ] as const) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ValueError(`ActivityRegularization: ${name} must be a non-negative number, got ${describeArgument(value)}`);
    }
    // Both 0: no penalty at all (Keras adds a zero).
    super({ ...rest, activityRegularizer: l1 > 0 || l2 > 0 ? new L1L2({ l1, l2 }) : undefined }, ['l1', 'l2']);
    this.l1 = l1;
    this.l2 = l2;
    this.supportsMasking = true;
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    return inputs as LayerInput;
  }

  getConfig(): LayerConfig {
    const { activityRegularizer, ...config } = super.getConfig();
    void activityRegularizer;
    return { ...config, l1: this.l1, l2: this.l2 };
  }
}
