import { activationName, type ActivationIdentifier } from '../../activations.js';
import type { ConstraintIdentifier } from '../../constraints/index.js';
import { ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import type * as schema from '../../native_schema.js';
import * as ops from '../../ops.js';
import { sharedDropout } from '../../ops/noise.js';
import type { RegularizerIdentifier } from '../../regularizers/index.js';
import { type Shape, SymbolicTensor } from '../../symbolic.js';
import { tensor } from '../../tensor.js';
import { snakeCase } from '../../utils/naming.js';
import { Variable } from '../../variable.js';
import { resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { type CallOptions, Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument } from '../main_arguments.js';

export interface RNNArgs extends LayerArgs {
  /** Default 'tanh'. */
  activation?: ActivationIdentifier;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  /** Penalties on the weights, added to the loss. Default none. */
  kernelRegularizer?: RegularizerIdentifier | null;
  /** A penalty on the recurrent kernel, added to the loss. Default none. */
  recurrentRegularizer?: RegularizerIdentifier | null;
  /** A penalty on the bias, added to the loss. Default none. */
  biasRegularizer?: RegularizerIdentifier | null;
  /** Applied to the weights after each optimizer step. Default none. */
  kernelConstraint?: ConstraintIdentifier | null;
  /** Applied to the recurrent kernel after each optimizer step. Default none. */
  recurrentConstraint?: ConstraintIdentifier | null;
  /** Applied to the bias after each optimizer step. Default none. */
  biasConstraint?: ConstraintIdentifier | null;
  /** Return the whole output sequence [batch, steps, units] instead of the last output (default false). */
  returnSequences?: boolean;
  /** Process the sequence backwards (default false); with returnSequences the output is reversed too. */
  goBackwards?: boolean;
  /**
   * Fraction of the input features dropped while training, one mask per sequence shared by all
   * its steps, as Keras (default 0).
   */
  dropout?: number;
  /**
   * Fraction of the recurrent state's units dropped while training, a mask per gate drawn once
   * per call, as Keras (default 0). With it, `dropout` also draws a mask per gate, as Keras.
   */
  recurrentDropout?: number;
  /** Also return the final states: `[output, h]`, `[output, h, c]` for LSTM (default false). */
  returnState?: boolean;
  /**
   * Carry the final states of each batch into the next as its initial states (default false),
   * as Keras: sample i of a batch continues sample i of the previous one. Needs a fixed batch
   * size (`kiln.Input({ batchShape })`, or `batchSize` with `inputShape`); `resetStates()`
   * zeroes the states. Use `shuffle: false` in fit, so batches stay in order.
   */
  stateful?: boolean;
  /** Accepted for compatibility; the engine's loop is already native. */
  unroll?: boolean;
  /** With returnSequences, masked steps output zeros instead of the previous output (default false; Bidirectional sets it). */
  zeroOutputForMask?: boolean;
}

export interface GatedRNNArgs extends RNNArgs {
  /** Activation of the gates. Default 'sigmoid'. */
  recurrentActivation?: ActivationIdentifier;
}

const WEIGHTS = ['kernel', 'recurrent', 'bias'] as const;
const RNN_OPTIONS = [
  'activation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  ...WEIGHTS.flatMap((w) => [`${w}Regularizer`, `${w}Constraint`]),
  'returnSequences',
  'goBackwards',
  'dropout',
  'recurrentDropout',
  'returnState',
  'stateful',
  'unroll',
  'zeroOutputForMask',
];
const ENGINE_ACTIVATIONS: readonly RecurrentActivation[] = ['tanh', 'relu', 'sigmoid', 'linear'];

/** An activation the engine's recurrent loop runs. */
type RecurrentActivation = schema.UnaryOp;

function engineActivation(identifier: ActivationIdentifier | undefined, fallback: RecurrentActivation, layer: string): RecurrentActivation {
  const name = identifier === undefined ? fallback : typeof identifier === 'string' ? snakeCase(identifier) : undefined;
  if (name === undefined || !ENGINE_ACTIVATIONS.includes(name as RecurrentActivation)) {
    throw new ValueError(
      `Layer "${layer}": recurrent layers support the activations ${ENGINE_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${typeof identifier === 'function' ? 'a function' : `'${String(identifier)}'`}`,
    );
  }
  return name as RecurrentActivation;
}

/**
 * A recurrent layer whose loop runs in the engine (forward and backpropagation through time):
 * SimpleRNN, LSTM and GRU differ in their cell and weight layout.
 */
export abstract class BaseRNN extends Layer {
  /** The size of the output and of the state. */
  readonly units: number;
  /** The activation's name ('tanh', 'relu', 'sigmoid' or 'linear': the ones the engine's loop runs). */
  readonly activation: RecurrentActivation;
  /** The gates' activation's name (LSTM and GRU). */
  readonly recurrentActivation: RecurrentActivation;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  /** Whether the whole output sequence is returned. */
  readonly returnSequences: boolean;
  /** Whether the sequence is processed backwards. */
  readonly goBackwards: boolean;
  /** Whether the final states are returned too. */
  readonly returnState: boolean;
  /** Fraction of the input features dropped while training. */
  readonly dropout: number;
  /** Fraction of the recurrent state's units dropped while training. */
  readonly recurrentDropout: number;
  /** Masked steps output zeros (Bidirectional sets it for sequences, as Keras). */
  zeroOutputForMask: boolean;
  /** Whether each batch starts from the previous batch's final states. */
  readonly stateful: boolean;
  /**
   * A stateful layer's states, h (and c for LSTM), each [batch, units] (Keras' `states`): made
   * at build, not weights (neither trained nor saved, as Keras); null until then or when not stateful.
   */
  states: Variable[] | null = null;
  /** The input kernel [features, gates · units] (after build). */
  kernel!: Variable;
  /** The recurrent kernel [units, gates · units] (after build). */
  recurrentKernel!: Variable;
  /** The bias, if useBias (after build). */
  bias?: Variable;
  private readonly initializers: { kernel: InitializerIdentifier; recurrent: InitializerIdentifier; bias: InitializerIdentifier };
  /** The options it was made with, for copies (Bidirectional). */
  private readonly options: GatedRNNArgs;
  private readonly penalties: Record<(typeof WEIGHTS)[number], WeightPenalties>;

  /**
   * @param cell The recurrent cell: 'simple', 'lstm' or 'gru'.
   * @internal Made by LSTM, GRU and SimpleRNN with their cell kind.
   */
  constructor(
    /** @internal */ readonly cell: ops.RnnSpec['cell'],
    units: number,
    args: GatedRNNArgs,
    ownOptions: string[] = [],
  ) {
    super(args, [...RNN_OPTIONS, ...ownOptions]);
    this.options = { ...args };
    if (!Number.isInteger(units) || units <= 0) {
      throw new ValueError(`Received an invalid value for argument \`units\`, expected a positive integer, got ${describeArgument(units)}`);
    }
    this.units = units;
    this.activation = engineActivation(args.activation, 'tanh', this.name);
    this.recurrentActivation = engineActivation(args.recurrentActivation, 'sigmoid', this.name);
    this.useBias = args.useBias ?? true;
    this.returnSequences = args.returnSequences ?? false;
    this.goBackwards = args.goBackwards ?? false;
    const rate = (option: 'dropout' | 'recurrentDropout') => {
      const value = args[option] ?? 0;
      if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
        throw new ValueError(`Layer "${this.name}": \`${option}\` must be a number in [0, 1), got ${describeArgument(value)}`);
      }
      return value;
    };
    this.dropout = rate('dropout');
    this.recurrentDropout = rate('recurrentDropout');
    this.returnState = args.returnState ?? false;
    this.zeroOutputForMask = args.zeroOutputForMask ?? false;
    if (args.stateful !== undefined && typeof args.stateful !== 'boolean') throw new ValueError(`Layer "${this.name}": \`stateful\` must be a boolean, got ${describeArgument(args.stateful)}`);
    this.stateful = args.stateful ?? false;
    this.supportsMasking = true;
    this.initializers = { kernel: args.kernelInitializer ?? 'glorot_uniform', recurrent: args.recurrentInitializer ?? 'orthogonal', bias: args.biasInitializer ?? 'zeros' };
    Object.values(this.initializers).forEach(getInitializer);
    this.penalties = resolveWeightPenalties(args as Record<string, unknown>, WEIGHTS);
  }

  /** @internal A new, unbuilt layer of the same kind and options, with `overrides`. */
  cloneWith(overrides: GatedRNNArgs): BaseRNN {
    const Kind = this.constructor as new (units: number, args: GatedRNNArgs) => BaseRNN;
    return new Kind(this.units, { ...this.options, ...overrides });
  }

  /** Gate blocks in the kernels (1, 4 for LSTM, 3 for GRU). */
  protected abstract get gates(): number;

  /** The bias's initial value (LSTM sets the forget gate's to one). */
  protected initialBias(shape: number[]) {
    return getInitializer(this.initializers.bias)(shape);
  }

  /** @internal The bias's shape (GRU's doubles with resetAfter). */
  protected biasShape(): number[] {
    return [this.gates * this.units];
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, 3);
    const features = inputShape[2] as number;
    const width = this.gates * this.units;
    this.kernel = this.addWeight({ name: 'kernel', shape: [features, width], initializer: this.initializers.kernel, ...this.penalties.kernel });
    this.recurrentKernel = this.addWeight({ name: 'recurrent_kernel', shape: [this.units, width], initializer: this.initializers.recurrent, ...this.penalties.recurrent });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: this.biasShape(), initializer: (shape) => this.initialBias(shape), ...this.penalties.bias });
    if (this.stateful) this.buildStates(inputShape);
  }

  /** Keras: the states are made for the input's batch size, which must therefore be fixed. */
  private buildStates(inputShape: Shape): void {
    if (this.states) {
      this.resetStates();
      return;
    }
    const batch = inputShape[0];
    if (batch === null) {
      throw new ValueError(
        `Layer "${this.name}": when using \`stateful: true\` in a RNN, the batch size must be static. Found dynamic batch size: sequence.shape=[${inputShape.map((d) => d ?? 'null').join(', ')}]. Give the model's input a fixed batch size: kiln.Input({ batchShape: [batch, ...] }) or { shape, batchSize }, or inputShape with batchSize on the first layer`,
      );
    }
    const count = this.cell === 'lstm' ? 2 : 1;
    this.states = Array.from(
      { length: count },
      () => new Variable(tensor(new Float32Array(batch * this.units), [batch, this.units]), { name: 'rnn_state', path: `${this.name}/rnn_state`, trainable: false }),
    );
  }

  /** Zeroes a stateful layer's states (Keras' `reset_state`); does nothing before build or when not stateful. */
  resetState(): void {
    for (const state of this.states ?? []) state.assign(tensor(new Float32Array(state.shape[0] * state.shape[1]), state.shape));
  }

  /** Keras' alias of `resetState()`. */
  resetStates(): void {
    this.resetState();
  }

  /** The output, then with returnState the final states (h, and c for LSTM). */
  call(inputs: LayerInput, options: CallOptions = {}): LayerOutput | LayerOutput[] {
    const shape = this.biasShape();
    const bias = this.bias ?? tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
    const spec: ops.RnnSpec = {
      cell: this.cell,
      units: this.units,
      activation: this.activation,
      recurrent_activation: this.recurrentActivation,
      return_sequences: this.returnSequences,
      go_backwards: this.goBackwards,
      return_state: this.returnState,
      zero_output_for_mask: this.zeroOutputForMask && this.returnSequences,
      ...(this.recurrentDropout > 0 ? { dropout: this.dropout, recurrent_dropout: this.recurrentDropout } : {}),
    };
    // Without recurrent dropout Keras draws one input mask [batch, features] per call for every
    // step; with it, the engine draws a mask per gate for the inputs and the state.
    if (this.dropout > 0 && this.recurrentDropout === 0 && inputs instanceof SymbolicTensor) inputs = sharedDropout(inputs, this.dropout, [1]);
    const states = this.stateful ? (this.states ?? undefined) : undefined;
    const packed = ops.rnn(inputs, this.kernel, this.recurrentKernel, bias, spec, { mask: options.mask, initialState: options.initialState, states });
    if (!this.returnState) return packed;
    // Each sample's row is [output..., h, (c)]: split it.
    const steps = inputs.shape[1] as number;
    const width = (this.returnSequences ? steps : 1) * this.units;
    let output = ops.sliceAxis(packed, 1, 0, width);
    if (this.returnSequences) output = ops.reshape(output, [-1, steps, this.units]);
    const finalStates = Array.from({ length: this.cell === 'lstm' ? 2 : 1 }, (_, k) => ops.sliceAxis(packed, 1, width + k * this.units, this.units));
    return [output, ...finalStates];
  }

  protected returnsList(): boolean {
    return this.returnState;
  }

  /** Keras: the mask goes on with the sequence; a last output has none. */
  computeMask(_inputs: LayerInput | LayerInput[], mask?: LayerInput): LayerInput | undefined {
    return this.returnSequences ? mask : undefined;
  }

  getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: activationName(this.activation),
      // SimpleRNN has no gates, and Keras refuses the option there.
      ...(this.cell === 'simple' ? {} : { recurrentActivation: this.recurrentActivation }),
      useBias: this.useBias,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      zeroOutputForMask: this.zeroOutputForMask,
      ...weightPenaltiesConfig(this.penalties),
    };
  }
}
