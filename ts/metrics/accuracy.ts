// The accuracy metrics, and how Keras resolves 'accuracy' from the loss and output shape.
import { ValueError } from '../errors.js';
import type { LossKind } from '../losses/index.js';
import { snakeCase } from '../utils/naming.js';

export type AccuracyKind = 'categorical' | 'sparse_categorical' | 'binary';

export interface ResolvedMetric {
  /** The key in logs and History (Keras uses the name the user gave). */
  name: string;
  kind: AccuracyKind;
}

const EXPLICIT: Record<string, AccuracyKind> = {
  categorical_accuracy: 'categorical',
  sparse_categorical_accuracy: 'sparse_categorical',
  binary_accuracy: 'binary',
};

/** Resolves one entry of compile's `metrics` for an output of width `outputWidth`. */
export function resolveMetric(identifier: string, loss: LossKind, outputWidth: number): ResolvedMetric {
  if (typeof identifier !== 'string') throw new ValueError(`Could not interpret metric identifier: ${String(identifier)}`);
  const key = snakeCase(identifier);
  if (key === 'accuracy' || key === 'acc') {
    let kind: AccuracyKind;
    if (loss === 'binary_crossentropy' || outputWidth === 1) kind = 'binary';
    else if (loss === 'sparse_categorical_crossentropy') kind = 'sparse_categorical';
    else kind = 'categorical';
    return { name: identifier, kind };
  }
  const kind = EXPLICIT[key];
  if (!kind) {
    const valid = ['accuracy', 'acc', ...Object.keys(EXPLICIT)].map((k) => `'${k}'`).join(', ');
    throw new ValueError(`Unknown metric: '${identifier}'. Valid metrics: ${valid}`);
  }
  return { name: key, kind };
}
