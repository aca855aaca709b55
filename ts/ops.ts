/**
 * Tensor operations for custom layers, losses and training steps, as Keras' `keras.ops`. Each runs
 * now on concrete tensors and records a graph node when an argument is symbolic (inside
 * `Layer.call` while a model is built), so custom layers train like the built-in ones.
 * Elementwise binary ops broadcast as numpy does.
 * @module
 */
// kiln.ops: run eagerly on concrete tensors, and record a graph node when any argument is
// symbolic (inside Layer.call while a model is built), so custom layers train like built-ins.
import { describeValue, formatValue } from './utils/options.js';
import { ShapeError, ValueError } from './errors.js';
import { callNative, native } from './native.js';
import { applyOp, checkPadding, concrete, describe, isSymbolic, type Padding, perAxis, record, shapeOf, symbolic, where } from './ops/recording.js';
import { permuteAxes } from './ops/resampling.js';
import { expandDims, squeeze } from './ops/reshaping.js';
import type * as schema from './native_schema.js';
import { type OpSpec, type Shape, SymbolicTensor } from './symbolic.js';
import { Tensor, toTensor, type TensorLike } from './tensor.js';
import { Variable } from './variable.js';

export type { Padding } from './ops/recording.js';
export { convTranspose, type ConvTransposeOptions } from './ops/conv_transpose.js';
export { depthwiseConv, separableConv } from './ops/depthwise_conv.js';
export { pad, repeat } from './ops/resampling.js';
// Ops for custom layers: each family's shape rule, forward and gradient live in its file.
export { matmul } from './ops/matmul.js';
export { einsum } from './ops/einsum.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { sum, mean, max, min, prod, logSumExp, argMax, argMin, cumsum, topK, type Axes } from './ops/reduction.js';
export { shape, expandDims, squeeze, stack, tile } from './ops/reshaping.js';
export { equal, greater, greaterEqual, less, lessEqual, where, clip } from './ops/selection.js';
export { arange, oneHot } from './ops/creation.js';
export { slice, take, gather } from './ops/indexing.js';

/** What an op argument may be. */
export type OpInput = TensorLike | SymbolicTensor | Variable;
/** A symbolic result if the argument is symbolic, else a concrete tensor. */
export type OpResult<A> = A extends SymbolicTensor ? SymbolicTensor : Tensor;
/** A symbolic result if either argument is symbolic, else a concrete tensor. */
export type OpResult2<A, B> = A extends SymbolicTensor ? SymbolicTensor : B extends SymbolicTensor ? SymbolicTensor : Tensor;

/** numpy broadcasting of shapes with an unknown batch axis (the rule is kiln-core's). */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  try {
    return callNative(() => native.broadcastShapes(a, b)) as Shape;
  } catch (error) {
    throw error instanceof ShapeError ? new ShapeError(`${where()}${error.message}`) : error;
  }
}

function binary<A extends OpInput, B extends OpInput>(fn: schema.BinaryOp, a: A, b: B): OpResult2<A, B> {
  if (isSymbolic([a, b])) {
    const [x, y] = [symbolic(a), symbolic(b)];
    return record({ op: 'binary', function: fn }, [x, y], broadcastShapes(x.shape, y.shape)) as OpResult2<A, B>;
  }
  const [x, y] = [concrete(a), concrete(b)];
  return new Tensor(callNative(() => native.binaryOp(fn, x.handle, y.handle))) as OpResult2<A, B>;
}

/** a + b, elementwise with broadcasting (Keras' `ops.add`). */
export const add = <A extends OpInput, B extends OpInput>(a: A, b: B) => binary('add', a, b);
/** a − b, elementwise with broadcasting (Keras' `ops.subtract`). */
export const sub = <A extends OpInput, B extends OpInput>(a: A, b: B) => binary('sub', a, b);
/** a · b, elementwise with broadcasting (Keras' `ops.multiply`). */
export const mul = <A extends OpInput, B extends OpInput>(a: A, b: B) => binary('mul', a, b);
/** a / b, elementwise with broadcasting (Keras' `ops.divide`). */
export const div = <A extends OpInput, B extends OpInput>(a: A, b: B) => binary('div', a, b);
/** The larger of a and b, elementwise with broadcasting (Keras' `ops.maximum`). */
export const maximum = <A extends OpInput, B extends OpInput>(a: A, b: B) => binary('maximum', a, b);
/** The smaller of a and b, elementwise with broadcasting (Keras' `ops.minimum`). */
export const minimum = <A extends OpInput, B extends OpInput>(a: A, b: B) => binary('minimum', a, b);
/** 1 where a and b differ, else 0 (no gradient); Keras' `ops.not_equal` as float32. */
export const notEqual = <A extends OpInput, B extends OpInput>(a: A, b: B) => binary('not_equal', a, b);
/** a to the power b, elementwise with broadcasting (Keras' `ops.power`). */
export const power = <A extends OpInput, B extends OpInput>(a: A, b: B) => binary('power', a, b);
/** @internal The elementwise binary op `fn` (see kernels/binary.rs), for the op families under ops/. */
export const elementwise = binary;

function checkedAxis(axis: number, rank: number, op: string): number {
  // Checked before any arithmetic: a symbol or bigint threw a raw TypeError there.
  if (!Number.isInteger(axis)) throw new ValueError(`${where()}${op}: axis must be an integer, got ${formatValue(axis)}`);
  const a = typeof axis === 'number' && axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ValueError(`${where()}${op}: axis ${formatValue(axis)} is out of range for rank ${rank}`);
  return a;
}

/** Reverses the order of the entries along `axis` (Keras' `ops.flip`). */
export function flip<A extends OpInput>(x: A, axis: number): OpResult<A> {
  const shape = shapeOf(x);
  return applyOp({ op: 'flip', axis: checkedAxis(axis, shape.length, 'flip') }, [x], () => shape) as OpResult<A>;
}

/** @internal `size` entries of `axis` from `begin` (graph and eager alike). */
export function sliceAxis<A extends OpInput>(x: A, axis: number, begin: number, size: number): OpResult<A> {
  const shape = shapeOf(x);
  const a = checkedAxis(axis, shape.length, 'slice');
  const length = shape[a];
  if (!Number.isInteger(begin) || !Number.isInteger(size)) throw new ValueError(`${where()}slice: begin and size must be integers, got ${formatValue(begin)} and ${formatValue(size)}`);
  if (begin < 0 || size < 0 || (length !== null && begin + size > length)) {
    throw new ValueError(`${where()}slice [${begin}, ${begin + size}) is out of range for axis ${a} of ${describe(shape)}`);
  }
  return applyOp({ op: 'slice', axis: a, begin, size }, [x], () => shape.map((d, i) => (i === a ? size : d))) as OpResult<A>;
}

function unary<A extends OpInput>(fn: schema.UnaryOp, x: A): OpResult<A> {
  if (isSymbolic([x])) {
    const s = symbolic(x);
    return record({ op: 'unary', function: fn }, [s], s.shape) as OpResult<A>;
  }
  const t = concrete(x);
  return new Tensor(callNative(() => native.unaryOp(fn, t.handle))) as OpResult<A>;
}

/** max(x, 0). */
export const relu = <A extends OpInput>(x: A) => unary('relu', x);
/** 1 / (1 + exp(−x)). */
export const sigmoid = <A extends OpInput>(x: A) => unary('sigmoid', x);
/** The hyperbolic tangent. */
export const tanh = <A extends OpInput>(x: A) => unary('tanh', x);
/** e to the power x. */
export const exp = <A extends OpInput>(x: A) => unary('exp', x);
/** The natural logarithm. */
export const log = <A extends OpInput>(x: A) => unary('log', x);
/** x². */
export const square = <A extends OpInput>(x: A) => unary('square', x);
/** The square root. */
export const sqrt = <A extends OpInput>(x: A) => unary('sqrt', x);
/** −x. */
export const negative = <A extends OpInput>(x: A) => unary('neg', x);
/** |x|. */
export const abs = <A extends OpInput>(x: A) => unary('abs', x);
/** Exponential linear unit: x for x > 0, exp(x) − 1 otherwise (alpha 1). */
export const elu = <A extends OpInput>(x: A) => unary('elu', x);
/** Scaled exponential linear unit, with Keras' fixed alpha and scale. */
export const selu = <A extends OpInput>(x: A) => unary('selu', x);
/** Exact GELU, x·Φ(x) (Keras' default, approximate=false). */
export const gelu = <A extends OpInput>(x: A) => unary('gelu', x);
/** x·sigmoid(x), also called swish. */
export const silu = <A extends OpInput>(x: A) => unary('swish', x);
/** log(1 + exp(x)). */
export const softplus = <A extends OpInput>(x: A) => unary('softplus', x);
/** x / (1 + |x|). */
export const softsign = <A extends OpInput>(x: A) => unary('softsign', x);
/** Keras 3's hard sigmoid: relu6(x + 3) / 6. */
export const hardSigmoid = <A extends OpInput>(x: A) => unary('hard_sigmoid', x);
/** Leaky relu with Keras' default negative slope 0.2. */
export const leakyRelu = <A extends OpInput>(x: A) => unary('leaky_relu', x);
/** min(max(x, 0), 6). */
export const relu6 = <A extends OpInput>(x: A) => unary('relu6', x);
/** The error function (Keras' `ops.erf`). */
export const erf = <A extends OpInput>(x: A) => unary('erf', x);

/** Reshapes the whole tensor (batch axis included); one dimension may be -1. */
export function reshape<A extends OpInput>(x: A, shape: number[]): OpResult<A> {
  // A null (an unknown length) cannot be a target size: the engine would have no size to plan.
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1)) {
    throw new ShapeError(
      `${where()}reshape's shape must be a list of non-negative integers with at most one -1, got ${Array.isArray(shape) ? `[${shape.map((d) => String(d)).join(', ')}]` : describeValue(shape)}`,
    );
  }
  if (isSymbolic([x])) {
    const s = symbolic(x);
    const known = s.shape.every((d) => d !== null);
    const size = known ? (s.shape as number[]).reduce((a, b) => a * b, 1) : null;
    const fixed = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const out: Shape = shape.map((d) => (d === -1 ? (size === null ? null : size / fixed) : d));
    if (shape.filter((d) => d === -1).length > 1 || (size !== null && size % fixed !== 0) || (size !== null && !shape.includes(-1) && fixed !== size)) {
      throw new ShapeError(`${where()}cannot reshape ${describe(s.shape)} to [${shape.join(', ')}]`);
    }
    return record({ op: 'reshape', shape, keep_batch: false }, [s], out) as OpResult<A>;
  }
  return concrete(x).reshape(shape) as OpResult<A>;
}

/** @internal Reshapes each sample, keeping the batch axis (Flatten, Reshape layers). */
export function reshapeSamples(x: SymbolicTensor, perSample: number[]): SymbolicTensor {
  const sizes = x.shape.slice(1);
  if (sizes.some((d) => d === null)) throw new ShapeError(`${where()}needs a fully known input shape except the batch axis, got ${describe(x.shape)}`);
  const size = (sizes as number[]).reduce((a, b) => a * b, 1);
  const fixed = perSample.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const out = perSample.map((d) => (d === -1 ? size / fixed : d));
  if (out.reduce((a, b) => a * b, 1) !== size || !out.every(Number.isInteger)) {
    throw new ShapeError(`${where()}cannot reshape samples of shape ${describe(sizes)} to [${perSample.join(', ')}]`);
  }
  return record({ op: 'reshape', shape: perSample, keep_batch: true }, [x], [x.shape[0], ...out]);
}

/** @internal Inverted dropout; recorded only in graphs (eager calls are inference). */
export function dropout(x: SymbolicTensor, rate: number): SymbolicTensor {
  return record({ op: 'dropout', rate }, [x], x.shape);
}

/** Joins tensors along `axis`; their shapes must match elsewhere. */
export function concat<A extends OpInput>(tensors: A[], axis = -1): OpResult<A> {
  if (tensors.length === 0) throw new ValueError(`${where()}concat needs at least one tensor`);
  if (isSymbolic(tensors)) {
    const list = tensors.map(symbolic);
    const rank = list[0].rank;
    const a = typeof axis === 'number' && axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) throw new ValueError(`${where()}concat: axis ${formatValue(axis)} is out of range for rank ${rank}`);
    list.forEach((t, i) => {
      if (t.rank !== rank || t.shape.some((d, k) => k !== a && d !== list[0].shape[k] && d !== null && list[0].shape[k] !== null)) {
        throw new ShapeError(
          `${where()}a Concatenate layer requires inputs with matching shapes except for the concatenation axis. Received: input 0 ${describe(list[0].shape)}, input ${i} ${describe(t.shape)}`,
        );
      }
    });
    const shape = list[0].shape.map((d, k) => (k === a ? list.reduce<number | null>((n, t) => (n === null || t.shape[k] === null ? null : n + (t.shape[k] as number)), 0) : d));
    return record({ op: 'concat', axis: a }, list, shape) as OpResult<A>;
  }
  const list = tensors.map(concrete);
  return new Tensor(
    callNative(() =>
      native.concat(
        list.map((t) => t.handle),
        axis,
      ),
    ),
  ) as OpResult<A>;
}

/** Permutes the axes (batch axis included): output axis i is input axis perm[i]; default reverses them. */
export function transpose<A extends OpInput>(x: A, perm?: number[]): OpResult<A> {
  if (isSymbolic([x])) return permuteAxes(x, perm);
  return concrete(x).transpose(perm) as OpResult<A>;
}

/** The options of `ops.conv` (channels last). */
export interface ConvOptions {
  /** Default 1. */
  strides?: number | number[];
  /** Default 'valid'. */
  padding?: Padding;
  /** Default 1. */
  dilationRate?: number | number[];
  /**
   * Independent convolutions over channel groups (Keras' Conv2D `groups`); the kernel is
   * [...window, channels / groups, filters]. Default 1.
   */
  groups?: number;
}

/** Output length of one spatial axis (null stays null), as TensorFlow computes it (kiln-core's rule). */
function windowOutput(input: number | null, window: number, stride: number, dilation: number, padding: Padding, shape: Shape): number | null {
  if (input === null) return null;
  const out = callNative(() => native.windowOutput(input, window, stride, dilation, padding));
  if (out === null || out === undefined) {
    throw new ShapeError(
      `${where()}the window of size ${window}${dilation > 1 ? ` (dilation ${dilation})` : ''} is larger than the input axis of length ${input} with padding 'valid' (input shape ${describe(shape)})`,
    );
  }
  return out;
}

/**
 * Convolution, channels last: x [batch, width, channels] with kernel [k, channels, filters],
 * x [batch, height, width, channels] with kernel [kh, kw, channels, filters], or
 * x [batch, depth, height, width, channels] with kernel [kd, kh, kw, channels, filters]
 * (channels / groups with `groups`).
 */
export function conv<A extends OpInput, B extends OpInput>(x: A, kernel: B, options: ConvOptions = {}): OpResult2<A, B> {
  const padding = checkPadding(options.padding ?? 'valid');
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups <= 0) throw new ValueError(`${where()}\`groups\` must be a positive integer, got ${formatValue(options.groups)}`);
  const xShape = x instanceof SymbolicTensor || x instanceof Variable ? x.shape : toTensor(x as TensorLike).shape;
  const kShape = kernel instanceof SymbolicTensor || kernel instanceof Variable ? kernel.shape : toTensor(kernel as TensorLike).shape;
  if (xShape.length < 3 || xShape.length > 5 || kShape.length !== xShape.length) {
    throw new ShapeError(`${where()}conv expects an input of rank 3, 4 or 5 (channels last) and a kernel of the same rank, got ${describe(xShape)} and ${describe(kShape)}`);
  }
  const spatial = xShape.length - 2;
  const strides = perAxis(options.strides, spatial, 1, 'strides');
  const dilation = perAxis(options.dilationRate, spatial, 1, 'dilationRate');
  if (spatial === 1) {
    // 1-D is 2-D with a height of one.
    // The width may be unknown (variable-length sequences): the axis of 1 is inserted and
    // removed by reshapes that copy the other axes when each batch is planned.
    const k = kShape as number[];
    windowOutput(xShape[1], k[0], strides[0], dilation[0], padding, xShape); // refused in the 1-D shape the caller knows
    const y = conv(expandDims(x, 1) as OpInput, reshape(kernel, [1, ...k]) as OpInput, { strides: [1, strides[0]], padding, dilationRate: [1, dilation[0]], groups });
    return squeeze(y as OpInput, 1) as OpResult2<A, B>;
  }
  const [perGroup, filters] = kShape.slice(-2) as number[];
  const channels = xShape[xShape.length - 1];
  if (channels !== null && channels !== perGroup * groups) {
    throw new ShapeError(
      `${where()}conv: the kernel expects ${perGroup * groups} input channels${groups > 1 ? ` (${perGroup} in each of ${groups} groups)` : ''}, got an input of shape ${describe(xShape)}`,
    );
  }
  if (filters % groups !== 0) throw new ValueError(`${where()}conv: the number of filters (${filters}) must be a multiple of groups (${groups})`);
  // perAxis gave one stride and one dilation per spatial axis.
  const spec: OpSpec =
    spatial === 3
      ? { op: 'conv3d', strides: strides as [number, number, number], padding, dilation: dilation as [number, number, number], groups }
      : { op: 'conv2d', strides: strides as [number, number], padding, dilation: dilation as [number, number], groups };
  const outputShape = ([s]: Shape[]) => [s[0], ...strides.map((_, i) => windowOutput(s[i + 1], kShape[i] as number, strides[i], dilation[i], padding, s)), filters];
  if (isSymbolic([x, kernel]) || groups > 1 || spatial === 3) return applyOp(spec, [x, kernel], outputShape) as OpResult2<A, B>;
  const [t, k] = [concrete(x), concrete(kernel)];
  return new Tensor(callNative(() => native.conv2D(t.handle, k.handle, strides, padding, dilation))) as OpResult2<A, B>;
}

function pooling<A extends OpInput>(fn: 'max' | 'average', x: A, poolSize: number | number[], strides: number | number[] | undefined, padding: Padding): OpResult<A> {
  checkPadding(padding);
  const xShape = x instanceof SymbolicTensor || x instanceof Variable ? x.shape : toTensor(x as TensorLike).shape;
  if (xShape.length < 3 || xShape.length > 5) {
    throw new ShapeError(`${where()}${fn} pooling expects an input of rank 3, 4 or 5 (channels last), got ${describe(xShape)}`);
  }
  const spatial = xShape.length - 2;
  const pool = perAxis(poolSize, spatial, 1, 'poolSize');
  const step = perAxis(strides ?? pool, spatial, 1, 'strides');
  if (spatial === 3) {
    // A box's max or average is the max or average over depth of each plane's (with 'same',
    // the cells inside the input are a product of per-axis counts, so averages compose too):
    // 2-D pooling of each plane, then pooling of the planes along depth.
    const [, depth, height, width, channels] = xShape;
    if ([depth, height, width, channels].some((d) => d === null)) throw new ShapeError(`${where()}3-D pooling needs known spatial sizes and channels, got ${describe(xShape)}`);
    const planes = pooling(fn, reshape(x, [-1, height as number, width as number, channels as number]) as OpInput, [pool[1], pool[2]], [step[1], step[2]], padding);
    const [, outH, outW] = planes.shape as number[];
    const columns = reshape(planes, [-1, depth as number, outH * outW, channels as number]);
    const y = pooling(fn, columns as OpInput, [pool[0], 1], [step[0], 1], padding);
    return reshape(y, [-1, y.shape[1] as number, outH, outW, channels as number]) as OpResult<A>;
  }
  if (spatial === 1) {
    const y = pooling(fn, expandDims(x, 1) as OpInput, [1, pool[0]], [1, step[0]], padding);
    return squeeze(y as OpInput, 1) as OpResult<A>;
  }
  if (isSymbolic([x])) {
    const s = symbolic(x);
    const out = [0, 1].map((i) => windowOutput(s.shape[i + 1], pool[i], step[i], 1, padding, s.shape));
    return record({ op: 'pool2d', function: fn, pool: [pool[0], pool[1]], strides: [step[0], step[1]], padding }, [s], [s.shape[0], out[0], out[1], s.shape[3]]) as OpResult<A>;
  }
  const t = concrete(x);
  return new Tensor(callNative(() => native.pool2D(fn, t.handle, pool, step, padding))) as OpResult<A>;
}

/** Max pooling, channels last (rank 3 or 4); strides default to the pool size. */
export const maxPool = <A extends OpInput>(x: A, poolSize: number | number[], strides?: number | number[], padding: Padding = 'valid') => pooling('max', x, poolSize, strides, padding);
/** Average pooling, channels last; 'same' averages over the cells inside the input. */
export const averagePool = <A extends OpInput>(x: A, poolSize: number | number[], strides?: number | number[], padding: Padding = 'valid') => pooling('average', x, poolSize, strides, padding);

/**
 * @internal A recurrent layer's computation, as the engine names its settings (kiln-core's
 * `Op::Rnn`; `rnn` sets `masked` and `initial_state` from its extras).
 */
export type RnnSpec = Omit<Extract<schema.Op, { op: 'rnn' }>, 'op' | 'masked' | 'initial_state'>;

/** @internal What an rnn call reads besides x and the weights. */
export interface RnnExtras {
  /** [batch, steps], 0 where a step is skipped. */
  mask?: OpInput;
  /** The first states, h (and c for LSTM), each [batch, units]. */
  initialState?: OpInput[];
  /**
   * A stateful layer's states (Keras' `layer.states`), each [batch, units]: the run starts
   * from them unless `initialState` is given, and leaves its final states in them, whether it
   * runs now or in a model (the engine writes them after each batch).
   */
  states?: Variable[];
}

/**
 * @internal Runs a recurrent layer over x [batch, steps, features] (see layers/rnn), skipping
 * the steps where `mask` [batch, steps] is 0, starting from `initialState` (default zeros).
 * With `return_state` the result is [batch, output values + state values].
 */
export function rnn(x: OpInput, kernel: OpInput, recurrent: OpInput, bias: OpInput, spec: RnnSpec, extras: RnnExtras = {}): Tensor | SymbolicTensor {
  const { mask, initialState, states } = extras;
  const shape = shapeOf(x);
  if (shape.length !== 3) throw new ShapeError(`${where()}expected an input of rank 3 [batch, timesteps, features], got ${describe(shape)}`);
  const [batch, steps] = shape;
  const returned = spec.return_state ? (spec.cell === 'lstm' ? 2 : 1) : 0;
  const outputShape = spec.return_state
    ? [batch, steps === null ? null : ((spec.return_sequences ? steps : 1) + returned) * spec.units]
    : spec.return_sequences
      ? [batch, steps, spec.units]
      : [batch, spec.units];
  if (initialState !== undefined) {
    const wanted = spec.cell === 'lstm' ? 2 : 1;
    if (!Array.isArray(initialState) || initialState.length !== wanted) {
      throw new ValueError(
        `${where()}initialState needs ${wanted} tensor${wanted > 1 ? 's (h, c)' : ' (h)'} of shape [batch, ${spec.units}], got ${Array.isArray(initialState) ? initialState.length : String(initialState)}`,
      );
    }
    initialState.forEach((s, k) => {
      const got = shapeOf(s);
      if (got.length !== 2 || got[1] !== spec.units) throw new ShapeError(`${where()}initial state ${k} must have shape [batch, ${spec.units}], got ${describe(got)}`);
    });
  }
  const held = states?.[0]?.shape[0];
  if (held !== undefined && batch !== null && batch !== held) {
    throw new ValueError(
      `${where()}if an RNN is stateful, the batch size of the input sequences must be the same as the batch size of the initial state: expected batch size ${held}, received batch size ${batch}`,
    );
  }
  const inputs = [x, kernel, recurrent, bias, ...(mask === undefined ? [] : [mask]), ...(initialState ?? []), ...(states ?? [])];
  const op = { op: 'rnn' as const, ...spec, masked: mask !== undefined, initial_state: initialState !== undefined, stateful: states !== undefined };
  if (states !== undefined && !isSymbolic(inputs)) return runStatefulRnn(op, inputs.map(concrete), states);
  return applyOp(op, inputs, () => outputShape);
}

/**
 * @internal A stateful layer's rnn op run now (an eager call, or a model called on concrete
 * tensors): `args` end with its states' values, which are the first states unless others are
 * given; the final states are then assigned to `states`, as Keras' layer assigns them.
 */
export function runStatefulRnn(spec: RnnSpec & { initial_state?: boolean }, args: Tensor[], states: Variable[]): Tensor {
  const first = spec.initial_state ? args.slice(0, -states.length) : args;
  const packed = applyOp({ ...spec, op: 'rnn', stateful: false, initial_state: true, return_state: true }, first, (shapes) => shapes[0]) as Tensor;
  const width = (packed.shape[1] as number) - states.length * spec.units;
  states.forEach((state, k) => state.assign(sliceAxis(packed, 1, width + k * spec.units, spec.units)));
  if (spec.return_state) return packed;
  const output = sliceAxis(packed, 1, 0, width);
  return spec.return_sequences ? reshape(output, [-1, args[0].shape[1] as number, spec.units]) : output;
}

/**
 * @internal Batch normalisation in a graph: the batch's statistics in fit, the moving ones
 * otherwise, and the moving ones in fit too while `fixedStatistics()` holds (Keras' layer that
 * is not trainable). It is asked when the graph is handed to the engine (at compile), the point
 * at which Keras too takes a change of `trainable` into account.
 */
export function batchNorm(
  x: SymbolicTensor,
  gamma: OpInput,
  beta: OpInput,
  movingMean: Variable,
  movingVariance: Variable,
  epsilon: number,
  momentum: number,
  fixedStatistics: () => boolean,
): SymbolicTensor {
  const spec: OpSpec = {
    op: 'batch_norm',
    epsilon,
    momentum,
    get inference() {
      return fixedStatistics();
    },
  };
  return record(spec, [x, symbolic(gamma), symbolic(beta), movingMean.symbolic, movingVariance.symbolic], x.shape);
}

/** @internal Table rows picked by ids, in a graph (see layers/core/embedding). */
export function embedding(ids: SymbolicTensor, table: Variable): SymbolicTensor {
  return record({ op: 'embedding' }, [ids, table.symbolic], [...ids.shape, table.shape[1]]);
}
