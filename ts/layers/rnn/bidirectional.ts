import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import { type CallOptions, Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { BaseRNN } from './base_rnn.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

/** How Bidirectional combines the two directions' outputs (null: return both). */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

export interface BidirectionalArgs extends LayerArgs {
  /** Default 'concat'. */
  mergeMode?: MergeMode;
  /** The layer for the backward direction (default: a copy of `layer` with goBackwards). */
  backwardLayer?: BaseRNN;
}

const MERGE_MODES: MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

/**
 * Runs a recurrent layer forward and a copy of it backward over the sequence and merges the two
 * outputs (the backward sequence put back in time order first), as Keras' Bidirectional.
 */
export class Bidirectional extends Layer {
  /** The forward direction's layer. */
  readonly forwardLayer: BaseRNN;
  /** The backward direction's layer (a copy of the forward one with goBackwards, unless given). */
  readonly backwardLayer: BaseRNN;
  /** How the two outputs combine ('concat', 'sum', 'mul', 'ave', or null for both). */
  readonly mergeMode: MergeMode;
  /** Whether the wrapped layer returns sequences. */
  readonly returnSequences: boolean;
  /** Whether the wrapped layer returns its states. */
  readonly returnState: boolean;
  /** Whether the wrapped layer is stateful (both directions carry their states between batches). */
  readonly stateful: boolean;

  constructor(layer: BaseRNN | (BidirectionalArgs & { layer: BaseRNN }), args: BidirectionalArgs = {}) {
    const { main, options } = mainArguments<BidirectionalArgs>([layer, args], ['layer']);
    [layer, args] = [main[0] as BaseRNN, options];
    super(args, ['mergeMode', 'backwardLayer']);
    if (!(layer instanceof BaseRNN)) {
      throw new ValueError(`Please initialize \`Bidirectional\` layer with a recurrent layer (SimpleRNN, LSTM, GRU). Received: ${describeArgument(layer)}`);
    }
    const mergeMode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
    if (!MERGE_MODES.includes(mergeMode)) {
      throw new ValueError(`Invalid merge mode. Received: ${describeArgument(mergeMode)}. Merge mode should be one of {"sum", "mul", "ave", "concat", null}`);
    }
    const backward = args.backwardLayer;
    if (backward !== undefined && !(backward instanceof BaseRNN)) {
      throw new ValueError(`\`backwardLayer\` needs to be a recurrent layer. Received: ${describeArgument(backward)}`);
    }
    if (backward && (backward.returnSequences !== layer.returnSequences || backward.returnState !== layer.returnState || backward.stateful !== layer.stateful)) {
      throw new ValueError(
        `Forward layer and backward layer should have the same stateful, returnSequences and returnState: got ${layer.stateful}/${layer.returnSequences}/${layer.returnState} and ${backward.stateful}/${backward.returnSequences}/${backward.returnState}`,
      );
    }
    this.mergeMode = mergeMode;
    // Fresh copies, so the wrapped layer's own state carries nothing over (as Keras).
    this.forwardLayer = layer.cloneWith({ name: `forward_${layer.name.replace(/^forward_/, '')}` });
    this.backwardLayer = backward ?? layer.cloneWith({ name: `backward_${layer.name.replace(/^backward_/, '')}`, goBackwards: true });
    for (const l of [this.forwardLayer, this.backwardLayer]) l.zeroOutputForMask = true;
    this.returnSequences = layer.returnSequences;
    this.returnState = layer.returnState;
    this.stateful = layer.stateful;
    this.batchInputShape ??= layer.batchInputShape;
    this.supportsMasking = true;
  }

  build(inputShape: Shape | Shape[]): void {
    this.requireRank(inputShape as Shape, 3);
  }

  call(inputs: LayerInput | LayerInput[], options: CallOptions = {}): LayerOutput | LayerOutput[] {
    // Initial states: the forward layer's first, then the backward layer's (as Keras).
    const states = options.initialState;
    const half = states ? states.length / 2 : 0;
    const outputs = (l: BaseRNN, initialState?: LayerInput[]) => {
      const y = l.applyAny(inputs, { ...options, initialState });
      return Array.isArray(y) ? y : [y];
    };
    const [y, ...forwardStates] = outputs(this.forwardLayer, states?.slice(0, half));
    let [yRev, ...backwardStates] = outputs(this.backwardLayer, states?.slice(half));
    if (this.returnSequences) yRev = ops.flip(yRev, 1);
    const merged: LayerOutput[] = (() => {
      switch (this.mergeMode) {
        case 'concat':
          return [ops.concat([y, yRev], -1)];
        case 'sum':
          return [ops.add(y, yRev)];
        case 'mul':
          return [ops.mul(y, yRev)];
        case 'ave':
          return [ops.mul(ops.add(y, yRev), 0.5)];
        default:
          return [y, yRev];
      }
    })() as LayerOutput[];
    const all = [...merged, ...forwardStates, ...backwardStates];
    return all.length === 1 ? all[0] : all;
  }

  protected returnsList(): boolean {
    return this.returnState || this.mergeMode === null;
  }

  /** Zeroes both directions' states (Keras' `reset_state`); refused unless the layer is stateful, as Keras. */
  resetState(): void {
    if (!this.stateful) throw new ValueError(`Layer "${this.name}" must be stateful to reset its states (Keras: "Layer must be stateful.")`);
    this.forwardLayer.resetState();
    this.backwardLayer.resetState();
  }

  /** Keras' alias of `resetState()`. */
  resetStates(): void {
    this.resetState();
  }

  computeMask(_inputs: LayerInput | LayerInput[], mask?: LayerInput): LayerInput | undefined {
    return this.returnSequences ? mask : undefined;
  }

  getConfig(): LayerConfig {
    const described = (l: BaseRNN) => ({ className: l.constructor.name, config: l.getConfig() });
    return { ...super.getConfig(), mergeMode: this.mergeMode, layer: described(this.forwardLayer), backwardLayer: described(this.backwardLayer) };
  }
}
