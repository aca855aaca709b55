import { ShapeError, ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { batchMatmul } from '../../ops/batch_matmul.js';
import { type Shape, SymbolicTensor } from '../../symbolic.js';
import type { LayerArgs, LayerConfig, LayerInput, LayerOutput } from '../layer.js';
import { describeArgument, mainArguments } from '../main_arguments.js';
import { BaseMerge } from './base_merge.js';

export interface DotArgs extends LayerArgs {
  /** Whether to L2-normalise both inputs along the dot axes first (cosine proximity); default false. */
  normalize?: boolean;
}

/** Keras' smallest norm in L2 normalisation (backend.epsilon()). */
const EPSILON = 1e-7;

const describe = (s: Shape) => `[${s.map((d) => d ?? 'null').join(', ')}]`;

/** Reshapes each sample (the batch axis stays), concrete or symbolic. */
function reshapeSamples(x: LayerInput, shape: number[]): LayerInput {
  return x instanceof SymbolicTensor ? ops.reshapeSamples(x, shape) : x.reshape([x.shape[0] as number, ...shape]);
}

/** x / max(‖x‖₂, epsilon) along `axis`. */
function l2Normalize(x: LayerInput, axis: number): LayerInput {
  const norm = ops.sqrt(ops.sum(ops.square(x), axis, true));
  return ops.div(x, ops.maximum(norm, EPSILON)) as LayerInput;
}

/**
 * Keras' batch_dot: per sample, contracts axis a of x with axis b of y; the result keeps x's
 * other axes then y's ([batch, 1] when both inputs are [batch, n]).
 */
function batchDot(x: LayerInput, y: LayerInput, [a, b]: [number, number]): LayerInput {
  const [xShape, yShape] = [x.shape, y.shape];
  const kept = (s: Shape, axis: number) => s.filter((_, i) => i !== 0 && i !== axis) as number[];
  const outShape = [...kept(xShape, a), ...kept(yShape, b)];
  // x as [batch, m, k] (contracted axis last), y as [batch, k, n] (contracted axis second).
  const xOrder = [0, ...xShape.map((_, i) => i).filter((i) => i !== 0 && i !== a), a];
  const yOrder = [0, b, ...yShape.map((_, i) => i).filter((i) => i !== 0 && i !== b)];
  const size = (dims: number[]) => dims.reduce((p, d) => p * d, 1);
  const k = xShape[a] as number;
  const permute = (t: LayerInput, order: number[]) => (order.every((p, i) => p === i) ? t : (ops.transpose(t, order) as LayerInput));
  const x3 = reshapeSamples(permute(x, xOrder), [size(kept(xShape, a)), k]);
  const y3 = reshapeSamples(permute(y, yOrder), [k, size(kept(yShape, b))]);
  return reshapeSamples(batchMatmul(x3, y3) as LayerInput, outShape.length === 0 ? [1] : outShape);
}

/** The dot product of two samples' tensors along the given axes (Keras' Dot merge layer). */
export class Dot extends BaseMerge {
  /** The axis of each input summed over (one for both, or one per input). */
  readonly axes: number | [number, number];
  /** Whether the samples are L2-normalised first, so the result is their cosine similarity. */
  readonly normalize: boolean;

  constructor(axes: number | [number, number] | (DotArgs & { axes: number | [number, number] }), args: DotArgs = {}) {
    const { main, options } = mainArguments<DotArgs>([axes, args], ['axes']);
    const { normalize = false, ...rest } = options;
    super(rest, [], 2);
    const value = main[0];
    const valid = Number.isInteger(value) || (Array.isArray(value) && value.length === 2 && value.every(Number.isInteger));
    if (!valid) throw new ValueError(`Invalid format for argument \`axes\`: it should be an integer or a list of two integers. Received: axes=${describeArgument(value)}`);
    this.axes = value as number | [number, number];
    this.normalize = normalize;
  }

  /** The contracted axis of each input, non-negative. */
  private resolveAxes(rank1: number, rank2: number): [number, number] {
    const [a, b] = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    return [a < 0 ? a + rank1 : a, b < 0 ? b + rank2 : b];
  }

  protected checkShapes(shapes: Shape[]): void {
    const [s1, s2] = shapes;
    const [a, b] = this.resolveAxes(s1.length, s2.length);
    if (s1.length < 2 || s2.length < 2) {
      throw new ShapeError(`Layer "${this.name}": cannot do batch_dot on inputs with rank < 2. Received inputs with shapes ${describe(s1)} and ${describe(s2)}`);
    }
    if (a <= 0 || a >= s1.length || b <= 0 || b >= s2.length) {
      throw new ShapeError(`Layer "${this.name}": cannot perform batch_dot over axis 0 or outside the inputs: axes ${JSON.stringify(this.axes)} for shapes ${describe(s1)} and ${describe(s2)}`);
    }
    if (s1[a] !== s2[b]) {
      throw new ShapeError(`Layer "${this.name}": incompatible input shapes: axis values ${s1[a]} (at axis ${a}) != ${s2[b]} (at axis ${b}). Full input shapes: ${describe(s1)}, ${describe(s2)}`);
    }
  }

  protected merge(inputs: LayerInput[]): LayerOutput {
    let [x, y] = inputs;
    const axes = this.resolveAxes(x.shape.length, y.shape.length);
    if (this.normalize) {
      x = l2Normalize(x, axes[0]);
      y = l2Normalize(y, axes[1]);
    }
    return batchDot(x, y, axes);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), axes: this.axes, normalize: this.normalize };
  }
}
