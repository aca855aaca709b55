// Keras' L1, L2 and L1L2 (keras/src/regularizers/regularizers.py), written with kiln.ops.
import { ValueError } from '../errors.js';
import * as ops from '../ops.js';
import { Regularizer, type RegularizerInput } from './regularizer.js';
import { checkOptionNames, describeValue } from '../utils/options.js';

/** A factor checked as Keras does: a finite number >= 0. */
function factor(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(`Invalid value for argument ${argument}: expected a non-negative float. Received: ${argument}=${describeValue(value)}`);
  }
  return value;
}

/** The options of L1L2; unknown keys are refused, and so are negative factors. */
export interface L1L2Args {
  /** Default 0. */
  l1?: number;
  /** Default 0. */
  l2?: number;
}

/** `l1 * sum(|x|) + l2 * sum(x²)`. */
export class L1L2 extends Regularizer {
  /** The L1 factor. */
  readonly l1: number;
  /** The L2 factor. */
  readonly l2: number;

  constructor(args: L1L2Args = {}) {
    super();
    checkOptionNames('L1L2', args, ['l1', 'l2']);
    this.l1 = factor(args.l1 ?? 0, 'l1');
    this.l2 = factor(args.l2 ?? 0, 'l2');
  }

  call(x: RegularizerInput): RegularizerInput {
    const terms: RegularizerInput[] = [];
    if (this.l1) terms.push(ops.mul(ops.sum(ops.abs(x)), this.l1));
    if (this.l2) terms.push(ops.mul(ops.sum(ops.square(x)), this.l2));
    if (terms.length === 0) return ops.mul(ops.sum(x), 0);
    return terms.length === 1 ? terms[0] : ops.add(terms[0], terms[1]);
  }

  getConfig(): Record<string, unknown> {
    return { l1: this.l1, l2: this.l2 };
  }
}

/** `l1 * sum(|x|)`; Keras' default factor 0.01. */
export class L1 extends Regularizer {
  /** The L1 factor. */
  readonly l1: number;

  constructor(l1: number | { l1?: number } = 0.01) {
    super();
    if (typeof l1 === 'object') checkOptionNames('L1', l1, ['l1']);
    this.l1 = factor(typeof l1 === 'object' && l1 !== null ? (l1.l1 ?? 0.01) : l1, 'l1');
  }

  call(x: RegularizerInput): RegularizerInput {
    return ops.mul(ops.sum(ops.abs(x)), this.l1);
  }

  getConfig(): Record<string, unknown> {
    return { l1: this.l1 };
  }
}

/** `l2 * sum(x²)`; Keras' default factor 0.01. */
export class L2 extends Regularizer {
  /** The L2 factor. */
  readonly l2: number;

  constructor(l2: number | { l2?: number } = 0.01) {
    super();
    if (typeof l2 === 'object') checkOptionNames('L2', l2, ['l2']);
    this.l2 = factor(typeof l2 === 'object' && l2 !== null ? (l2.l2 ?? 0.01) : l2, 'l2');
  }

  call(x: RegularizerInput): RegularizerInput {
    return ops.mul(ops.sum(ops.square(x)), this.l2);
  }

  getConfig(): Record<string, unknown> {
    return { l2: this.l2 };
  }
}
