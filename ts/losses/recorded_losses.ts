// Each built-in loss written with kiln.ops, so `loss.call(yTrue, yPred)` inside a layer's call,
// kiln.valueAndGrad or a custom trainStep records graph nodes (and trains) as Keras' does: the
// loss over the last axis, as Keras' `call` computes it (one value per sample of [batch, n]
// predictions, the numbers the engine's kernels give eagerly; [batch, h, w] of [batch, h, w, n]).
import { ValueError } from '../errors.js';
import * as ops from '../ops.js';
import { shapeOf } from '../ops/recording.js';
import type { SymbolicTensor } from '../symbolic.js';
import type { LossSpec } from './loss.js';

type T = ops.OpInput;
/** Keras' backend epsilon, which clips probabilities away from 0 and 1. */
const EPSILON = 1e-7;

const mean = (x: T) => ops.mean(x, -1);
const sum = (x: T) => ops.sum(x, -1);
const l2Normalize = (x: T) => ops.div(x, ops.sqrt(ops.maximum(ops.sum(ops.square(x), -1, true), 1e-12)));
/** 0/1 labels as -1/1 (Keras' hinge losses); -1 stays -1. */
const hingeLabels = (t: T) => ops.where(ops.equal(t, 0), -1, t);

function crossentropy(t: T, p: T, spec: LossSpec): T {
  const classes = shapeOf(p).at(-1) as number;
  const smoothing = spec.label_smoothing ?? 0;
  const target = smoothing > 0 ? ops.add(ops.mul(t, 1 - smoothing), smoothing / classes) : t;
  if (spec.from_logits) return ops.negative(sum(ops.mul(target, ops.logSoftmax(p, -1))));
  const probabilities = ops.clip(ops.div(p, ops.sum(p, -1, true)), EPSILON, 1 - EPSILON);
  return ops.negative(sum(ops.mul(target, ops.log(probabilities))));
}

function binaryCrossentropy(t: T, p: T, spec: LossSpec): T {
  const smoothing = spec.label_smoothing ?? 0;
  const target = smoothing > 0 ? ops.add(ops.mul(t, 1 - smoothing), 0.5 * smoothing) : t;
  if (spec.from_logits) {
    // max(x, 0) - x·t + log(1 + exp(-|x|)), stable for large logits.
    return mean(ops.add(ops.sub(ops.relu(p), ops.mul(p, target)), ops.softplus(ops.negative(ops.abs(p)))));
  }
  const q = ops.clip(p, EPSILON, 1 - EPSILON);
  return ops.negative(mean(ops.add(ops.mul(target, ops.log(q)), ops.mul(ops.sub(1, target), ops.log(ops.sub(1, q))))));
}

const LOSSES: Record<LossSpec['kind'], (t: T, p: T, spec: LossSpec) => T> = {
  mean_squared_error: (t, p) => mean(ops.square(ops.sub(p, t))),
  mean_absolute_error: (t, p) => mean(ops.abs(ops.sub(p, t))),
  mean_absolute_percentage_error: (t, p) => ops.mul(100, mean(ops.abs(ops.div(ops.sub(t, p), ops.maximum(ops.abs(t), EPSILON))))),
  mean_squared_logarithmic_error: (t, p) => mean(ops.square(ops.sub(ops.log(ops.add(ops.maximum(p, EPSILON), 1)), ops.log(ops.add(ops.maximum(t, EPSILON), 1))))),
  huber: (t, p, spec) => {
    const delta = spec.delta ?? 1;
    const error = ops.abs(ops.sub(p, t));
    return mean(ops.where(ops.lessEqual(error, delta), ops.mul(0.5, ops.square(error)), ops.sub(ops.mul(delta, error), 0.5 * delta * delta)));
  },
  log_cosh: (t, p) => {
    const error = ops.sub(p, t);
    return mean(ops.sub(ops.add(error, ops.softplus(ops.mul(-2, error))), Math.LN2));
  },
  hinge: (t, p) => mean(ops.maximum(ops.sub(1, ops.mul(hingeLabels(t), p)), 0)),
  squared_hinge: (t, p) => mean(ops.square(ops.maximum(ops.sub(1, ops.mul(hingeLabels(t), p)), 0))),
  categorical_hinge: (t, p) => {
    const positive = sum(ops.mul(t, p));
    const negative = ops.max(ops.mul(ops.sub(1, t), p), -1);
    return ops.maximum(ops.add(ops.sub(negative, positive), 1), 0);
  },
  kl_divergence: (t, p) => {
    const [tc, pc] = [ops.clip(t, EPSILON, 1), ops.clip(p, EPSILON, 1)];
    return sum(ops.mul(tc, ops.log(ops.div(tc, pc))));
  },
  poisson: (t, p) => mean(ops.sub(p, ops.mul(t, ops.log(ops.add(p, EPSILON))))),
  cosine_similarity: (t, p) => ops.negative(sum(ops.mul(l2Normalize(t), l2Normalize(p)))),
  binary_crossentropy: binaryCrossentropy,
  categorical_crossentropy: crossentropy,
  sparse_categorical_crossentropy: (t, p, spec) => {
    const ids = shapeOf(t).length === shapeOf(p).length ? ops.squeeze(t, -1) : t;
    return crossentropy(ops.oneHot(ids, shapeOf(p).at(-1) as number), p, spec);
  },
};

/** @internal The loss over the last axis of the predictions, as graph nodes. */
export function recordedLossValues(spec: LossSpec, yTrue: T, yPred: T, name: string): SymbolicTensor {
  const shape = shapeOf(yPred);
  if (shape.length < 2 || shape.at(-1) === null) {
    throw new ValueError(`${name}: inside a graph, loss.call needs predictions of shape [batch, ..., n] with n known, got [${shape.map((d) => d ?? 'null').join(', ')}]`);
  }
  return LOSSES[spec.kind](yTrue, yPred, spec) as SymbolicTensor;
}
