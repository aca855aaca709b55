import { type ActivationIdentifier, getActivation } from '../activations.js';
import type { Constraint } from '../constraints/constraint.js';
import { type ConstraintIdentifier, get as getConstraint, serialize as serializeConstraint } from '../constraints/index.js';
import { getInitializer, type InitializerIdentifier } from '../initializers.js';
import { get as getRegularizer, type RegularizerIdentifier, serialize as serializeRegularizer } from '../regularizers/index.js';
import type { Regularizer } from '../regularizers/regularizer.js';

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
  /** A penalty on the kernel added to the loss (`kiln.regularizers.l2(0.01)`). Default none. */
  kernelRegularizer?: RegularizerIdentifier | null;
  /** A penalty on the bias added to the loss. Default none. */
  biasRegularizer?: RegularizerIdentifier | null;
  /** Applied to the kernel after each optimizer step (`kiln.constraints.maxNorm(2)`). Default none. */
  kernelConstraint?: ConstraintIdentifier | null;
  /** Applied to the bias after each optimizer step. Default none. */
  biasConstraint?: ConstraintIdentifier | null;
}

export const KERNEL_OPTIONS = ['activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint'];

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

/** A weight's regularizer and constraint (the `addWeight` options). */
export interface WeightPenalties {
  regularizer?: Regularizer;
  constraint?: Constraint;
}

/**
 * The regularizer and constraint of each named weight, from options spelled
 * `<weight>Regularizer` / `<weight>Constraint` (kernel, bias, recurrent, embeddings).
 */
export function resolveWeightPenalties<W extends string>(args: Record<string, unknown>, weights: readonly W[]): Record<W, WeightPenalties> {
  const out = {} as Record<W, WeightPenalties>;
  for (const w of weights) {
    out[w] = {
      regularizer: getRegularizer(args[`${w}Regularizer`] as RegularizerIdentifier | undefined),
      constraint: getConstraint(args[`${w}Constraint`] as ConstraintIdentifier | undefined),
    };
  }
  return out;
}

/** The options `resolveWeightPenalties` reads, as `getConfig` writes them. */
export function weightPenaltiesConfig<W extends string>(penalties: Record<W, WeightPenalties>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [w, p] of Object.entries(penalties) as [W, WeightPenalties][]) {
    config[`${w}Regularizer`] = serializeRegularizer(p.regularizer);
    config[`${w}Constraint`] = serializeConstraint(p.constraint);
  }
  return config;
}
