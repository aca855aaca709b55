// fit's and evaluate's options around the data: sample and class weights, and the validation
// frequency.
import { ValueError } from '../errors.js';
import { type Tensor, tensor, toTensor, type TensorLike } from '../tensor.js';

/** Keras' `class_weight`: a weight per class index, for the loss of that class's samples. */
export type ClassWeight = Record<number, number>;

/** Keras' class_weight_to_sample_weights: each sample's class (argmax of one-hot or a label) picks its weight; unlisted classes weigh 1. */
export function classWeightsToSampleWeights(y: Tensor, classWeight: ClassWeight): Tensor {
  const n = y.shape[0];
  const width = y.shape.slice(1).reduce((a, b) => a * b, 1);
  const values = y.astype('float32').dataSync();
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let cls = 0;
    if (width > 1) {
      for (let k = 1; k < width; k++) if (values[i * width + k] > values[i * width + cls]) cls = k;
    } else {
      cls = Math.round(values[i]);
    }
    weights[i] = classWeight[cls] ?? 1;
  }
  return tensor(weights, [n]);
}

/** Refuses `sampleWeight` with `classWeight`, and malformed class weights, as Keras. */
export function checkWeightOptions(sampleWeight: TensorLike | undefined, classWeight: ClassWeight | undefined, outputs: number): void {
  if (sampleWeight !== undefined && classWeight !== undefined) {
    throw new ValueError('You cannot `classWeight` and `sampleWeight` at the same time.');
  }
  if (classWeight === undefined) return;
  if (typeof classWeight !== 'object' || classWeight === null) throw new ValueError(`\`classWeight\` must be an object mapping class indices to weights, got ${String(classWeight)}`);
  for (const [cls, w] of Object.entries(classWeight)) {
    if (!Number.isInteger(Number(cls)) || typeof w !== 'number' || !Number.isFinite(w)) {
      throw new ValueError(`\`classWeight\` must map integer class indices to numbers, got ${cls}: ${String(w)}`);
    }
  }
  if (outputs !== 1) throw new ValueError('`classWeight` is only supported for Models with a single output.');
}

/** The per-sample weights of a run from `sampleWeight` or `classWeight` (not both, as Keras). */
export function resolveSampleWeights(ys: Tensor[], sampleWeight: TensorLike | undefined, classWeight: ClassWeight | undefined, samples: number): Tensor | undefined {
  checkWeightOptions(sampleWeight, classWeight, ys.length);
  if (classWeight !== undefined) return classWeightsToSampleWeights(ys[0], classWeight);
  if (sampleWeight === undefined) return undefined;
  const w = toTensor(sampleWeight, 'float32');
  if (w.rank === 0 || w.shape[0] !== samples || w.size !== samples) {
    throw new ValueError(`\`sampleWeight\` must have one value per sample: expected shape [${samples}] or [${samples}, 1], got [${w.shape.join(', ')}]`);
  }
  return w;
}

/** Keras' `validation_freq`: every n-th epoch (counting from 1), or the listed epochs. */
export type ValidationFreq = number | number[];

export function checkValidationFreq(freq: ValidationFreq): void {
  const ok = Array.isArray(freq) ? freq.every((e) => Number.isInteger(e) && e > 0) : Number.isInteger(freq) && freq > 0;
  if (!ok) throw new ValueError(`Expected \`validationFreq\` to be a positive integer or a list of them. Received: validationFreq=${JSON.stringify(freq)}`);
}

export function shouldValidate(epoch: number, freq: ValidationFreq): boolean {
  const oneBased = epoch + 1;
  return Array.isArray(freq) ? freq.includes(oneBased) : oneBased % freq === 0;
}
