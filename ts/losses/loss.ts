import { ValueError } from '../errors.js';

/** The engine's loss kinds (Keras' function names). */
export type LossKind =
  | 'categorical_crossentropy'
  | 'sparse_categorical_crossentropy'
  | 'binary_crossentropy'
  | 'mean_squared_error'
  | 'mean_absolute_error'
  | 'mean_absolute_percentage_error'
  | 'mean_squared_logarithmic_error'
  | 'huber'
  | 'log_cosh'
  | 'hinge'
  | 'squared_hinge'
  | 'categorical_hinge'
  | 'kl_divergence'
  | 'poisson'
  | 'cosine_similarity';

/** @internal What the engine computes: a kind and its settings. */
export interface LossSpec {
  kind: LossKind;
  from_logits?: boolean;
  label_smoothing?: number;
  delta?: number;
}

export interface LossArgs {
  /** Default: Keras' name of the loss ('categorical_crossentropy', 'huber_loss', ...). */
  name?: string;
}

/**
 * Base of the loss classes. The loss itself runs in the engine (in Rust), averaged over the
 * batch as Keras' default 'sum_over_batch_size' reduction does; a subclass names its kind and
 * settings.
 */
export abstract class Loss {
  readonly name: string;

  protected constructor(
    /** @internal */ readonly kind: LossKind,
    args: LossArgs,
    defaultName: string,
  ) {
    this.name = args.name ?? defaultName;
  }

  /** @internal The engine's description of the loss. */
  spec(): LossSpec {
    return { kind: this.kind };
  }

  /** The constructor arguments (Keras' `get_config`, in kiln's spelling). */
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

/** `labelSmoothing` checked as Keras does: a number in [0, 1]. */
export function checkLabelSmoothing(value: number, loss: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new ValueError(`${loss}: \`labelSmoothing\` must be a number between 0 and 1, got ${String(value)}`);
  }
  return value;
}
