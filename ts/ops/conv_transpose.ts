// Transposed convolution (Keras' ops.conv_transpose), channels last, over 1, 2 or 3 spatial axes.
import { formatValue } from '../utils/options.js';
import { ShapeError, ValueError } from '../errors.js';
import { type OpInput, type OpResult2, reshape, reshapeSamples } from '../ops.js';
import { type OpSpec, type Shape, SymbolicTensor } from '../symbolic.js';
import type { Tensor } from '../tensor.js';
import { applyOp, checkPadding, concrete, describe, isSymbolic, type Padding, perAxis, shapeOf, symbolic, where } from './recording.js';

/** The options of `ops.convTranspose` (channels last). */
export interface ConvTransposeOptions {
  /** Default 1. */
  strides?: number | number[];
  /** Default 'valid'. */
  padding?: Padding;
  /** Extra rows and columns at the end of the output, each less than its stride; default none. */
  outputPadding?: number | number[] | null;
  /** Default 1. */
  dilationRate?: number | number[];
}

/**
 * Output length of one spatial axis of a transposed convolution (null stays null), as Keras
 * computes it: 'valid' gives (in - 1) s + max(k, s), 'same' gives in s; with an output padding
 * p, (in - 1) s + k + p and (in - 1) s + k % 2 + p (k the dilated kernel size).
 */
export function transposedLength(input: number | null, kernel: number, stride: number, dilation: number, padding: Padding, outputPadding: number | undefined): number | null {
  if (input === null) return null;
  const span = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return (input - 1) * stride + span + (outputPadding ?? Math.max(span, stride) - span);
  return outputPadding === undefined ? input * stride : (input - 1) * stride + (span % 2) + outputPadding;
}

/**
 * Transposed convolution of x [batch, height, width, channels] with a kernel
 * [kh, kw, filters, channels] (Keras' layout), of x [batch, width, channels] with a kernel
 * [k, filters, channels], or of x [batch, depth, height, width, channels] with a
 * kernel [kd, kh, kw, filters, channels]: the gradient of a convolution with respect to its input,
 * used to upsample.
 */
export function convTranspose<A extends OpInput, B extends OpInput>(x: A, kernel: B, options: ConvTransposeOptions = {}): OpResult2<A, B> {
  const [xShape, kShape] = [shapeOf(x), shapeOf(kernel)];
  if (xShape.length === 3 && kShape.length === 3) return convTranspose1D(x, kernel, xShape, kShape as number[], options) as OpResult2<A, B>;
  const rank = xShape.length === 5 ? 5 : 4;
  const spatial = rank - 2;
  const padding = checkPadding(options.padding ?? 'valid');
  const strides = perAxis(options.strides, spatial, 1, 'strides');
  const dilation = perAxis(options.dilationRate, spatial, 1, 'dilationRate');
  const outputPadding =
    options.outputPadding === undefined || options.outputPadding === null
      ? null
      : Array.isArray(options.outputPadding)
        ? options.outputPadding
        : new Array<number>(spatial).fill(options.outputPadding);
  if (outputPadding !== null && (outputPadding.length !== spatial || outputPadding.some((p, i) => !Number.isInteger(p) || p < 0 || p >= strides[i]))) {
    throw new ValueError(
      `${where()}\`outputPadding\` must be ${spatial} non-negative integers, each strictly less than the corresponding stride (strides ${formatValue(strides)}), got ${formatValue(options.outputPadding)}`,
    );
  }
  // perAxis gave one stride and one dilation per spatial axis, and outputPadding was checked to.
  type Triple = [number, number, number];
  type Pair = [number, number];
  const spec: OpSpec =
    rank === 5
      ? { op: 'conv3d_transpose', strides: strides as Triple, padding, output_padding: outputPadding as Triple | null, dilation: dilation as Triple }
      : { op: 'conv2d_transpose', strides: strides as Pair, padding, output_padding: outputPadding as Pair | null, dilation: dilation as Pair };
  return applyOp(spec, [x, kernel], ([xShape, kShape]) => {
    if (xShape.length !== rank || kShape.length !== rank) {
      const axes = rank === 5 ? 'depth, height, width' : 'height, width';
      throw new ShapeError(
        `${where()}conv_transpose expects an input of rank ${rank} [batch, ${axes}, channels] and a kernel of rank ${rank} [...window, filters, channels], got ${describe(xShape)} and ${describe(kShape)}`,
      );
    }
    if (xShape[rank - 1] !== null && xShape[rank - 1] !== kShape[rank - 1]) {
      throw new ShapeError(`${where()}conv_transpose: the kernel expects ${kShape[rank - 1]} input channels, got an input of shape ${describe(xShape)}`);
    }
    const out: Shape = strides.map((_, i) => transposedLength(xShape[i + 1], kShape[i] as number, strides[i], dilation[i], padding, outputPadding?.[i]));
    if (out.some((d) => d !== null && d <= 0)) throw new ShapeError(`${where()}conv_transpose of ${describe(xShape)} would give an empty output ${describe(out)}`);
    return [xShape[0], ...out, kShape[rank - 2]];
  }) as OpResult2<A, B>;
}

/** 1-D is 2-D with a height of one (a unit window, stride and output padding on that axis). */
function convTranspose1D(x: OpInput, kernel: OpInput, xShape: Shape, kShape: number[], options: ConvTransposeOptions): Tensor | SymbolicTensor {
  const [, width, channels] = xShape;
  if (width === null || channels === null) throw new ShapeError(`${where()}conv_transpose needs known steps and channels, got ${describe(xShape)}`);
  const one = (value: number | number[] | null | undefined, name: string) => {
    if (value === undefined || value === null) return value;
    const list = Array.isArray(value) ? value : [value];
    if (list.length !== 1) throw new ValueError(`${where()}\`${name}\` must be an integer or a list of 1 for a 1-D transposed convolution, got ${formatValue(value)}`);
    return list[0];
  };
  const outputPadding = one(options.outputPadding, 'outputPadding');
  const x2 = isSymbolic([x]) ? reshapeSamples(symbolic(x), [1, width, channels]) : concrete(x).reshape([-1, 1, width, channels]);
  const y = convTranspose(x2, reshape(kernel, [1, ...kShape]), {
    padding: options.padding,
    strides: [1, one(options.strides, 'strides') ?? 1],
    dilationRate: [1, one(options.dilationRate, 'dilationRate') ?? 1],
    outputPadding: outputPadding === undefined || outputPadding === null ? null : [0, outputPadding],
  });
  const [, , w, f] = y.shape as number[];
  return y instanceof SymbolicTensor ? reshapeSamples(y, [w, f]) : y.reshape([-1, w, f]);
}
