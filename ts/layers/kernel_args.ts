import { type ActivationIdentifier, getActivation } from '../activations.js';
import { getInitializer, type InitializerIdentifier } from '../initializers.js';

/** Options of layers computing activation(inputs ⊛ kernel + bias): Dense, Conv1D, Conv2D. */
export interface KernelArgs {
  /** Default: none (linear). */
  activation?: ActivationIdentifier;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
}

export const KERNEL_OPTIONS = ['activation', 'useBias', 'kernelInitializer', 'biasInitializer'];

export interface ResolvedKernelArgs {
  activation: ActivationIdentifier;
  useBias: boolean;
  kernelInitializer: InitializerIdentifier;
  biasInitializer: InitializerIdentifier;
}

/** Keras' defaults, with unknown names refused now rather than at the first call. */
export function resolveKernelArgs(args: KernelArgs): ResolvedKernelArgs {
  const resolved = {
    activation: args.activation ?? null,
    useBias: args.useBias ?? true,
    kernelInitializer: args.kernelInitializer ?? 'glorot_uniform',
    biasInitializer: args.biasInitializer ?? 'zeros',
  };
  getActivation(resolved.activation);
  getInitializer(resolved.kernelInitializer);
  getInitializer(resolved.biasInitializer);
  return resolved;
}
