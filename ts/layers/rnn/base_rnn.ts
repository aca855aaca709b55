import { activationName, type ActivationIdentifier } from '../../activations.js';
import type { ConstraintIdentifier } from '../../constraints/index.js';
import { ValueError } from '../../errors.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { RegularizerIdentifier } from '../../regularizers/index.js';
import type { Shape } from '../../symbolic.js';
import { tensor } from '../../tensor.js';
import { snakeCase } from '../../utils/naming.js';
import type { Variable } from '../../variable.js';
import { resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';

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
  recurrentRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  /** Applied to the weights after each optimizer step. Default none. */
  kernelConstraint?: ConstraintIdentifier | null;
  recurrentConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
  /** Return the whole output sequence [batch, steps, units] instead of the last output (default false). */
  returnSequences?: boolean;
  /** Process the sequence backwards (default false); with returnSequences the output is reversed too. */
  goBackwards?: boolean;
  /** Only 0: use a Dropout layer before or after the recurrent layer instead. */
  dropout?: number;
  /** Only 0. */
  recurrentDropout?: number;
  /** Only false in this version. */
  returnState?: boolean;
  /** Only false in this version. */
  stateful?: boolean;
  /** Accepted for compatibility; the engine's loop is already native. */
  unroll?: boolean;
}

export interface GatedRNNArgs extends RNNArgs {
  /** Activation of the gates. Default 'sigmoid'. */
  recurrentActivation?: ActivationIdentifier;
}

const WEIGHTS = ['kernel', 'recurrent', 'bias'] as const;
const RNN_OPTIONS = ['activation', 'useBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer', ...WEIGHTS.flatMap((w) => [`${w}Regularizer`, `${w}Constraint`]), 'returnSequences', 'goBackwards', 'dropout', 'recurrentDropout', 'returnState', 'stateful', 'unroll'];
const ENGINE_ACTIVATIONS = ['tanh', 'relu', 'sigmoid', 'linear'];

function engineActivation(identifier: ActivationIdentifier | undefined, fallback: string, layer: string): string {
  const name = identifier === undefined ? fallback : typeof identifier === 'string' ? snakeCase(identifier) : undefined;
  if (name === undefined || !ENGINE_ACTIVATIONS.includes(name)) {
    throw new ValueError(`Layer "${layer}": recurrent layers support the activations ${ENGINE_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${typeof identifier === 'function' ? 'a function' : `'${String(identifier)}'`}`);
  }
  return name;
}

/**
 * A recurrent layer whose loop runs in the engine (forward and backpropagation through time):
 * SimpleRNN, LSTM and GRU differ in their cell and weight layout.
 */
export abstract class BaseRNN extends Layer {
  readonly units: number;
  readonly activation: string;
  readonly recurrentActivation: string;
  readonly useBias: boolean;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  kernel!: Variable;
  recurrentKernel!: Variable;
  bias?: Variable;
  private readonly initializers: { kernel: InitializerIdentifier; recurrent: InitializerIdentifier; bias: InitializerIdentifier };
  private readonly penalties: Record<(typeof WEIGHTS)[number], WeightPenalties>;

  constructor(readonly cell: ops.RnnSpec['cell'], units: number, args: GatedRNNArgs, ownOptions: string[] = []) {
    super(args, [...RNN_OPTIONS, ...ownOptions]);
    if (!Number.isInteger(units) || units <= 0) {
      throw new ValueError(`Received an invalid value for argument \`units\`, expected a positive integer, got ${units}`);
    }
    this.units = units;
    this.activation = engineActivation(args.activation, 'tanh', this.name);
    this.recurrentActivation = engineActivation(args.recurrentActivation, 'sigmoid', this.name);
    this.useBias = args.useBias ?? true;
    this.returnSequences = args.returnSequences ?? false;
    this.goBackwards = args.goBackwards ?? false;
    for (const option of ['dropout', 'recurrentDropout'] as const) {
      if ((args[option] ?? 0) !== 0) throw new ValueError(`Layer "${this.name}": \`${option}\` inside recurrent layers is not supported yet; put a Dropout layer before or after it`);
    }
    for (const option of ['returnState', 'stateful'] as const) {
      if (args[option]) throw new ValueError(`Layer "${this.name}": \`${option}: true\` is not supported yet`);
    }
    this.initializers = { kernel: args.kernelInitializer ?? 'glorot_uniform', recurrent: args.recurrentInitializer ?? 'orthogonal', bias: args.biasInitializer ?? 'zeros' };
    Object.values(this.initializers).forEach(getInitializer);
    this.penalties = resolveWeightPenalties(args as Record<string, unknown>, WEIGHTS);
  }

  /** Gate blocks in the kernels (1, 4 for LSTM, 3 for GRU). */
  protected abstract get gates(): number;

  /** The bias's initial value (LSTM sets the forget gate's to one). */
  protected initialBias(shape: number[]) {
    return getInitializer(this.initializers.bias)(shape);
  }

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
  }

  call(inputs: LayerInput): LayerOutput {
    const shape = this.biasShape();
    const bias = this.bias ?? tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
    return ops.rnn(inputs, this.kernel, this.recurrentKernel, bias, {
      cell: this.cell,
      units: this.units,
      activation: this.activation,
      recurrent_activation: this.recurrentActivation,
      return_sequences: this.returnSequences,
      go_backwards: this.goBackwards,
    });
  }

  getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: activationName(this.activation),
      recurrentActivation: this.recurrentActivation,
      useBias: this.useBias,
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      ...weightPenaltiesConfig(this.penalties),
    };
  }
}
