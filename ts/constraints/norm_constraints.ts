// Keras' built-in constraints (keras/src/constraints/constraints.py); the engine applies them.
import { ValueError } from '../errors.js';
import { Constraint, type ConstraintSpec } from './constraint.js';
import { checkOptionNames, describeValue } from '../utils/options.js';

/** Axes given as one integer or a list of them (Keras' `axis`). */
function axes(value: number | number[], name: string): number[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((a) => !Number.isInteger(a))) {
    throw new ValueError(`${name}: \`axis\` must be an integer or a list of integers, got ${JSON.stringify(value)}`);
  }
  return list;
}

function nonNegative(value: number, argument: string, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(`${name}: \`${argument}\` must be a non-negative number, got ${describeValue(value)}`);
  }
  return value;
}

/** The options of MaxNorm; unknown keys are refused. */
export interface MaxNormArgs {
  /** The largest norm a slice may have. Default 2. */
  maxValue?: number;
  /** Axes the norm is taken over. Default 0 (each column of a Dense kernel; use [0, 1, 2] for a Conv2D kernel). */
  axis?: number | number[];
}

/** Scales each slice whose L2 norm (over `axis`) exceeds `maxValue` down to it. */
export class MaxNorm extends Constraint {
  /** The largest norm a slice may have. */
  readonly maxValue: number;
  /** The axes the norm is taken over. */
  readonly axis: number[];

  constructor(args: MaxNormArgs = {}) {
    checkOptionNames('MaxNorm', args, ['maxValue', 'axis']);
    super();
    this.maxValue = nonNegative(args.maxValue ?? 2, 'maxValue', 'MaxNorm');
    this.axis = axes(args.axis ?? 0, 'MaxNorm');
  }

  /** @internal The engine's description of it. */
  spec(): ConstraintSpec {
    return { kind: 'max_norm', max_value: this.maxValue, axis: this.axis };
  }

  getConfig(): Record<string, unknown> {
    return { maxValue: this.maxValue, axis: this.axis };
  }
}

/** Sets negative weights to zero. */
export class NonNeg extends Constraint {
  /** @internal The engine's description of it. */
  spec(): ConstraintSpec {
    return { kind: 'non_neg' };
  }
}

/** The options of UnitNorm; unknown keys are refused. */
export interface UnitNormArgs {
  /** Axes the norm is taken over. Default 0. */
  axis?: number | number[];
}

/** Scales each slice to unit L2 norm (over `axis`). */
export class UnitNorm extends Constraint {
  /** The axes the norm is taken over. */
  readonly axis: number[];

  constructor(args: UnitNormArgs = {}) {
    checkOptionNames('UnitNorm', args, ['axis']);
    super();
    this.axis = axes(args.axis ?? 0, 'UnitNorm');
  }

  /** @internal The engine's description of it. */
  spec(): ConstraintSpec {
    return { kind: 'unit_norm', axis: this.axis };
  }

  getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}

/** The options of MinMaxNorm; unknown keys are refused. */
export interface MinMaxNormArgs {
  /** Default 0. */
  minValue?: number;
  /** Default 1. */
  maxValue?: number;
  /** How far each step moves the norm into [minValue, maxValue]: 1 (default) all the way. */
  rate?: number;
  /** Axes the norm is taken over. Default 0. */
  axis?: number | number[];
}

/** Moves each slice's L2 norm (over `axis`) into [minValue, maxValue], by the fraction `rate`. */
export class MinMaxNorm extends Constraint {
  /** The smallest norm. */
  readonly minValue: number;
  /** The largest norm. */
  readonly maxValue: number;
  /** How far each step moves the norm into [minValue, maxValue] (1: all the way). */
  readonly rate: number;
  /** The axes the norm is taken over. */
  readonly axis: number[];

  constructor(args: MinMaxNormArgs = {}) {
    checkOptionNames('MinMaxNorm', args, ['minValue', 'maxValue', 'rate', 'axis']);
    super();
    this.minValue = nonNegative(args.minValue ?? 0, 'minValue', 'MinMaxNorm');
    this.maxValue = nonNegative(args.maxValue ?? 1, 'maxValue', 'MinMaxNorm');
    this.rate = nonNegative(args.rate ?? 1, 'rate', 'MinMaxNorm');
    if (this.minValue > this.maxValue) throw new ValueError(`MinMaxNorm: \`minValue\` (${this.minValue}) must not exceed \`maxValue\` (${this.maxValue})`);
    this.axis = axes(args.axis ?? 0, 'MinMaxNorm');
  }

  /** @internal The engine's description of it. */
  spec(): ConstraintSpec {
    return { kind: 'min_max_norm', min_value: this.minValue, max_value: this.maxValue, rate: this.rate, axis: this.axis };
  }

  getConfig(): Record<string, unknown> {
    return { minValue: this.minValue, maxValue: this.maxValue, rate: this.rate, axis: this.axis };
  }
}
