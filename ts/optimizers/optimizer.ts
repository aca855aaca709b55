import { ValueError } from '../errors.js';
import type * as schema from '../native_schema.js';
import { describeArgument, mainArguments } from '../layers/main_arguments.js';
import { checkOptionNames, isOptionsObject } from '../utils/options.js';
import { LearningRateSchedule } from './schedules/learning_rate_schedule.js';
import type { TensorLike } from '../tensor.js';
import type { Variable } from '../variable.js';
import { type GradientAndVariable, GradientApplier, gradientPairs } from './gradient_applier.js';

/** Options every optimizer takes (Keras' base-optimizer arguments). */
export interface OptimizerArgs {
  /** A number or a schedule; each optimizer has Keras' default. */
  learningRate?: number | LearningRateSchedule;
  /** The optimizer's name (default: its Keras name, e.g. 'adam', 'SGD'). */
  name?: string;
  /**
   * Decoupled weight decay: before each update, every trained weight is shrunk by
   * `w -= learningRate * weightDecay * w`. Default none (AdamW: 0.004).
   */
  weightDecay?: number;
  /** Rescale each weight's gradient so its L2 norm is at most this. Default none. */
  clipnorm?: number;
  /** Clip each gradient entry to [-clipvalue, clipvalue]. Default none. */
  clipvalue?: number;
  /** Rescale all gradients together so their joint L2 norm is at most this. Default none. */
  globalClipnorm?: number;
}

const OPTIMIZER_OPTIONS = ['learningRate', 'name', 'weightDecay', 'clipnorm', 'clipvalue', 'globalClipnorm'];

/**
 * Keras' `Adam(0.5)` as well as `new Adam({ learningRate: 0.5 })`: the options object, with a
 * positional learning rate (a number or a schedule) put in it.
 */
export function optimizerArguments<A extends OptimizerArgs>(learningRate: unknown, args: A): A {
  const { main, options } = mainArguments<A>([learningRate, args], ['learningRate']);
  // Anything but an options object is passed on for the base constructor to refuse.
  if (main[0] === undefined || !isOptionsObject(options)) return options;
  return { ...options, learningRate: main[0] };
}

/** What the engine needs to build the update rule (kiln-core's `OptimizerSpec`). */
export type OptimizerSpec = schema.OptimizerSpec;

/** @internal The rule plus the options the engine applies around it (clipping, weight decay): kiln-core's `OptimizerConfig`. */
export type OptimizerEngineSpec = schema.OptimizerConfig;

/**
 * Base of every optimizer. The update rule runs in Rust; a subclass names its rule and
 * settings in `spec()`. The learning rate is evaluated here per step, so schedules (and
 * custom ones) work unchanged. Clipping and weight decay are the same for every optimizer and
 * are applied by the engine, in Keras' order: clip the gradients, decay the weights, update.
 */
export abstract class Optimizer {
  /** The optimizer's name (given, or its Keras name). */
  name: string;
  private _learningRate: number | LearningRateSchedule;
  /** Steps taken so far (updated by the model after each run). */
  iterations = 0;
  /** Decoupled weight decay, or null for none. */
  readonly weightDecay: number | null;
  /** Per-weight gradient norm bound, or null for none. */
  readonly clipnorm: number | null;
  /** Gradient entry bound, or null for none. */
  readonly clipvalue: number | null;
  /** Joint gradient norm bound, or null for none. */
  readonly globalClipnorm: number | null;

  /** `ownOptions`: the subclass's option names, so unknown ones are refused. */
  constructor(args: OptimizerArgs, defaultLearningRate: number, name: string, ownOptions: string[] = []) {
    checkOptionNames(new.target.name, args, [...OPTIMIZER_OPTIONS, ...ownOptions]);
    this.name = args.name ?? name;
    this._learningRate = checkLearningRate(args.learningRate ?? defaultLearningRate, this.name);
    this.weightDecay = optionalNumber(args.weightDecay, 'weightDecay', this.name);
    this.clipnorm = optionalNumber(args.clipnorm, 'clipnorm', this.name);
    this.clipvalue = optionalNumber(args.clipvalue, 'clipvalue', this.name);
    this.globalClipnorm = optionalNumber(args.globalClipnorm, 'globalClipnorm', this.name);
    if ([this.clipnorm, this.clipvalue, this.globalClipnorm].filter((c) => c !== null).length > 1) {
      throw new ValueError(
        `${this.name}: only one of \`clipnorm\`, \`clipvalue\` and \`globalClipnorm\` can be set. Received: clipnorm=${this.clipnorm}, clipvalue=${this.clipvalue}, globalClipnorm=${this.globalClipnorm}`,
      );
    }
  }

  /**
   * The learning rate: a number or a schedule. Setting it checks the new value (a non-negative
   * number or a LearningRateSchedule) and takes effect at the next step.
   */
  get learningRate(): number | LearningRateSchedule {
    return this._learningRate;
  }

  set learningRate(value: number | LearningRateSchedule) {
    this._learningRate = checkLearningRate(value, this.name);
  }

  /** The learning rate for step `step` (from 0). */
  learningRateAt(step: number): number {
    const lr = this._learningRate;
    return lr instanceof LearningRateSchedule ? lr.call(step) : lr;
  }

  /** @internal The engine's description of the update rule. */
  abstract spec(): OptimizerSpec;

  /** The native state of applyGradients (momenta per variable), made on first use. */
  private applier?: GradientApplier;

  /**
   * Keras' `apply_gradients(zip(grads, vars))`: one step of the update rule (with clipping,
   * weight decay and the variables' constraints) for each [gradient, variable] pair, at the
   * learning rate of step `iterations`, which then counts one more. Also `(grads, variables)`
   * as two lists, as Keras 3's `optimizer.apply`. Its state (momenta) is its own: it is not
   * the state of a compiled model's fit.
   */
  applyGradients(gradsAndVars: GradientAndVariable[]): void;
  applyGradients(grads: (TensorLike | undefined)[], variables: Variable[]): void;
  applyGradients(first: GradientAndVariable[] | (TensorLike | undefined)[], variables?: Variable[]): void {
    const pairs = gradientPairs(`${this.name}.applyGradients`, first, variables);
    this.applier ??= new GradientApplier(this.engineSpec());
    this.applier.apply(`${this.name}.applyGradients`, pairs, this.learningRateAt(this.iterations));
    this.iterations += 1;
  }

  /** Keras 3's `optimizer.apply(grads, trainableVariables)`: applyGradients with two lists. */
  apply(grads: (TensorLike | undefined)[], variables: Variable[]): void {
    this.applyGradients(grads, variables);
  }

  /** @internal The update rule with the options common to every optimizer. */
  engineSpec(): OptimizerEngineSpec {
    return {
      ...this.spec(),
      weight_decay: this.weightDecay,
      clipnorm: this.clipnorm,
      clipvalue: this.clipvalue,
      global_clipnorm: this.globalClipnorm,
    };
  }
}

function checkLearningRate(value: number | LearningRateSchedule, name: string): number | LearningRateSchedule {
  if (value instanceof LearningRateSchedule) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(`${name}: learningRate must be a non-negative number or a LearningRateSchedule, got ${describeArgument(value)}`);
  }
  return value;
}

function optionalNumber(value: number | null | undefined, argument: string, name: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(`${name}: \`${argument}\` must be a non-negative number, got ${describeArgument(value)}`);
  }
  return value;
}
