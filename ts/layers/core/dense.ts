import { activationName, type ActivationIdentifier, getActivation } from '../../activations.js';
import { ShapeError, ValueError } from '../../errors.js';
import type { InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { Shape } from '../../symbolic.js';
import type { Variable } from '../../variable.js';
import { KERNEL_OPTIONS, type KernelArgs, resolveKernelArgs, resolveWeightPenalties, type WeightPenalties, weightPenaltiesConfig } from '../kernel_args.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';

export interface DenseArgs extends LayerArgs, KernelArgs {}

/**
 * `activation(inputs · kernel + bias)`, on the last axis.
 * Options: `activation` (default none), `useBias` (default true), `kernelInitializer` (default
 * 'glorot_uniform'), `biasInitializer` (default 'zeros'), regularizers and constraints.
 * @example
 * ```ts
 * const layer = new kiln.layers.Dense(32, { activation: 'relu' });
 * const y = layer.apply(kiln.tensor([[1, 2, 3, 4]])); // shape [1, 32]
 * ```
 */
export class Dense extends Layer {
  /** The size of the output's last axis. */
  readonly units: number;
  /** The activation applied to the output (null: linear). */
  readonly activation: ActivationIdentifier;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  /** The weight matrix [inputDim, units] (after build). */
  kernel!: Variable;
  /** The bias [units], if useBias. */
  bias?: Variable;
  private readonly kernelInitializer: InitializerIdentifier;
  private readonly biasInitializer: InitializerIdentifier;
  private readonly penalties: Record<'kernel' | 'bias', WeightPenalties>;

  constructor(units: number | (DenseArgs & { units: number }), args: DenseArgs = {}) {
    const { main, options } = mainArguments<DenseArgs>([units, args], ['units']);
    [units, args] = [main[0] as number, options];
    super(args, KERNEL_OPTIONS);
    this.supportsMasking = true;
    if (!Number.isInteger(units) || units <= 0) {
      throw new ValueError(`Received an invalid value for argument \`units\`, expected a positive integer, got ${describeArgument(units)}`);
    }
    this.units = units;
    ({ activation: this.activation, useBias: this.useBias, kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer } = resolveKernelArgs(args));
    this.penalties = resolveWeightPenalties(args as Record<string, unknown>, ['kernel', 'bias']);
  }

  build(inputShape: Shape): void {
    const inputDim = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || inputDim === null) {
      throw new ShapeError(`Input 0 of layer "${this.name}" is incompatible: expected a tensor of rank >= 2 with a known last axis, got shape [${inputShape.map((d) => d ?? 'null').join(', ')}]`);
    }
    this.kernel = this.addWeight({ name: 'kernel', shape: [inputDim, this.units], initializer: this.kernelInitializer, ...this.penalties.kernel });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [this.units], initializer: this.biasInitializer, ...this.penalties.bias });
  }

  call(inputs: LayerInput): LayerOutput {
    const expected = this.kernel.shape[0];
    const got = inputs.shape[inputs.shape.length - 1];
    if (got !== expected) {
      throw new ShapeError(`Input 0 of layer "${this.name}" is incompatible: expected last axis ${expected}, got ${got} (shape [${inputs.shape.map((d) => d ?? 'null').join(', ')}])`);
    }
    let y: LayerOutput = ops.matmul(inputs, this.kernel);
    if (this.bias) y = ops.add(y, this.bias);
    return getActivation(this.activation)(y);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), units: this.units, activation: activationName(this.activation), useBias: this.useBias, ...weightPenaltiesConfig(this.penalties) };
  }
}
