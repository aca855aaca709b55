// Keras' AlphaDropout: in training, each entry is dropped with probability `rate` to SELU's
// negative saturation value and the result affinely rescaled so that inputs of mean 0 and
// variance 1 keep them (self-normalising networks); the identity otherwise.
import { ValueError } from '../../errors.js';
import * as ops from '../../ops.js';
import { sharedDropout } from '../../ops/noise.js';
import { SymbolicTensor } from '../../symbolic.js';
import type { CallOptions, LayerInput, LayerOutput } from '../layer.js';
import { Dropout, type DropoutArgs } from './dropout.js';

/** SELU's constants (Keras' alpha and scale, to double precision); a dropped entry becomes -alpha · scale. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const DROPPED_VALUE = -SELU_ALPHA * SELU_SCALE;

/**
 * Dropout for self-normalising (SELU) networks, as Keras' `AlphaDropout`: in training each entry
 * is set with probability `rate` to SELU's negative saturation value and the result affinely
 * rescaled so that inputs of mean 0 and variance 1 keep them; the identity at inference.
 */
export class AlphaDropout extends Dropout {
  constructor(rate: number | (DropoutArgs & { rate: number }), args: DropoutArgs = {}) {
    super(rate, args);
  }

  call(inputs: LayerInput, options: CallOptions = {}): LayerOutput {
    void options;
    if (!(inputs instanceof SymbolicTensor) || this.rate === 0) return inputs;
    const x = inputs;
    const shared = (this.noiseShape ?? []).flatMap((d, i) => (d === 1 && x.shape[i] !== 1 ? [i] : []));
    if (this.noiseShape && (this.noiseShape.length !== x.rank || this.noiseShape.some((d, i) => d !== null && d !== 1 && d !== x.shape[i]))) {
      throw new ValueError(`Layer "${this.name}": noiseShape ${JSON.stringify(this.noiseShape)} does not fit inputs of shape [${x.shape.map((d) => d ?? 'null').join(', ')}]`);
    }
    // The engine's dropout of ones is 0 or 1 / (1 - rate) in training and exactly 1 otherwise:
    // it gives both the keep mask and whether this run is training, from graph ops alone.
    const ones = ops.add(ops.mul(x, 0), 1) as SymbolicTensor;
    const draw = sharedDropout(ones, this.rate, shared);
    const kept = ops.mul(draw, 1 - this.rate);
    const training = ops.notEqual(draw, 1);
    const a = ((1 - this.rate) * (1 + this.rate * DROPPED_VALUE ** 2)) ** -0.5;
    const b = -a * DROPPED_VALUE * this.rate;
    const dropped = ops.add(ops.mul(x, kept), ops.mul(ops.sub(1, kept), DROPPED_VALUE));
    return ops.where(training, ops.add(ops.mul(dropped, a), b), x);
  }
}
