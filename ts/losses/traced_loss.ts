// The built-in losses written with kiln.ops, for symbolic predictions: a loss called inside
// kiln.valueAndGrad or a subclassed model's step (Keras' `loss_fn(y, model(x))`) is recorded
// into the graph the engine differentiates. The formulas are Keras 3's (keras/src/losses/),
// per sample over the last axis, with its epsilon clipping.
import { ValueError } from '../errors.js';
import * as ops from '../ops.js';
import type { OpInput } from '../ops.js';
import { SymbolicTensor } from '../symbolic.js';
import { Tensor, toTensor } from '../tensor.js';
import { toCategorical } from '../utils/to_categorical.js';
import type { LossKind, LossSpec } from './loss.js';

/** Keras' backend epsilon. */
const EPSILON = 1e-7;

type Traced = SymbolicTensor;
const s = (t: unknown) => t as Traced;

const clipProbabilities = (p: OpInput) => ops.minimum(ops.maximum(p, EPSILON), 1 - EPSILON);

/** log(softmax(x)) over the last axis, stably: x - max - log(sum(exp(x - max))). */
function logSoftmax(x: OpInput): Traced {
  const shifted = ops.sub(x, ops.max(x, -1, true));
  return s(ops.sub(shifted, ops.log(ops.sum(ops.exp(shifted), -1, true))));
}

function lastAxis(yPred: Traced): number {
  const n = yPred.shape[yPred.shape.length - 1];
  if (n === null || n === undefined) throw new ValueError(`A loss needs predictions with a known last axis, got shape [${yPred.shape.join(', ')}]`);
  return n;
}

const TRACED: Partial<Record<LossKind, (spec: LossSpec, yTrue: OpInput, yPred: Traced) => Traced>> = {
  mean_squared_error: (_, y, p) => s(ops.mean(ops.square(ops.sub(p, y)), -1)),
  mean_absolute_error: (_, y, p) => s(ops.mean(ops.abs(ops.sub(p, y)), -1)),
  binary_crossentropy: (spec, y, p) => {
    const smoothing = spec.label_smoothing ?? 0;
    const target = smoothing > 0 ? ops.add(ops.mul(y, 1 - smoothing), 0.5 * smoothing) : y;
    if (spec.from_logits) {
      // max(x, 0) - x·z + log(1 + exp(-|x|)), as TensorFlow's sigmoid_cross_entropy_with_logits.
      const values = ops.add(ops.sub(ops.relu(p), ops.mul(p, target)), ops.softplus(ops.negative(ops.abs(p))));
      return s(ops.mean(values, -1));
    }
    const q = clipProbabilities(p);
    const log = ops.add(ops.mul(target, ops.log(q)), ops.mul(ops.sub(1, target), ops.log(ops.sub(1, q))));
    return s(ops.negative(ops.mean(log, -1)));
  },
  categorical_crossentropy: (spec, y, p) => {
    const smoothing = spec.label_smoothing ?? 0;
    const target = smoothing > 0 ? ops.add(ops.mul(y, 1 - smoothing), smoothing / lastAxis(p)) : y;
    const logProbabilities = spec.from_logits ? logSoftmax(p) : ops.log(clipProbabilities(ops.div(p, ops.sum(p, -1, true))));
    return s(ops.negative(ops.sum(ops.mul(target, logProbabilities), -1)));
  },
  sparse_categorical_crossentropy: (spec, y, p) => {
    if (y instanceof SymbolicTensor) throw new ValueError('sparse_categorical_crossentropy: in a traced step the labels must be concrete integers (the batch\'s y)');
    const labels = toTensor(y as Tensor);
    const oneHot = toCategorical(labels.reshape([labels.shape[0]]), lastAxis(p));
    return TRACED.categorical_crossentropy!({ kind: 'categorical_crossentropy', from_logits: spec.from_logits }, oneHot, p);
  },
  kl_divergence: (_, y, p) => {
    const [t, q] = [ops.minimum(ops.maximum(y, EPSILON), 1), ops.minimum(ops.maximum(p, EPSILON), 1)];
    return s(ops.sum(ops.mul(t, ops.log(ops.div(t, q))), -1));
  },
};

/** Each sample's loss as graph nodes; a kind without a traced form is refused by name. */
export function tracedLossValues(name: string, spec: LossSpec, yTrue: OpInput, yPred: SymbolicTensor): SymbolicTensor {
  const traced = TRACED[spec.kind];
  if (!traced) {
    throw new ValueError(`Loss "${name}" (${spec.kind}) cannot be computed on symbolic predictions yet (inside valueAndGrad or a layer's call); the losses that can are ${Object.keys(TRACED).join(', ')}, or write it with kiln.ops`);
  }
  return traced(spec, yTrue, yPred);
}
