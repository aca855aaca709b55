// What the server needs of a model: its signature and one batched predict on flat float32 data.
import { ValueError } from '../errors.js';
import type { Model } from '../models/index.js';
import { tensor, type Tensor } from '../tensor.js';

/** A named input or output and the shape of one sample (no batch axis). */
export interface Signature {
  /** The input's or output's name, as in the model (`Input({ name })`, the layer's name). */
  name: string;
  /** The shape of one sample, without the batch axis. */
  shape: number[];
}

/** A model as the server sees it. */
export interface Predictor {
  /** The model's inputs, in the order `predict` takes them. */
  inputs: Signature[];
  /** The model's outputs, in the order `predict` returns them. */
  outputs: Signature[];
  /** One flat array per input holding `count` samples; resolves to one flat array per output. */
  predict(inputs: Float32Array[], count: number): Promise<Float32Array[]>;
}

/** The number of values in one sample of this shape. */
export const sampleSize = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function sampleShape(model: Model, kind: 'input' | 'output', name: string, shape: ReadonlyArray<number | null>): number[] {
  const dims = shape.slice(1);
  if (dims.some((d) => d === null)) {
    throw new ValueError(`serving model "${model.name}": ${kind} "${name}" has shape [${shape.map(String).join(', ')}]; serving needs a fixed size on every axis but the batch axis`);
  }
  return dims as number[];
}

/** A kiln model as a Predictor; refuses models whose samples have no fixed shape. */
export function kilnPredictor(model: Model): Predictor {
  const text = model.inputs.find((t) => t.dtype === 'string');
  if (text)
    throw new ValueError(
      `serving model "${model.name}": input "${text.name}" takes strings, and the server takes float32 tensors only; serve a model that starts from the ids (its layers after the TextVectorization or StringLookup) and apply that layer before sending`,
    );
  const inputs = model.inputs.map((t) => ({ name: t.name, shape: sampleShape(model, 'input', t.name, t.shape) }));
  const outputs = model.outputs.map((t) => ({ name: t.name, shape: sampleShape(model, 'output', t.name, t.shape) }));
  return {
    inputs,
    outputs,
    async predict(data, count) {
      const tensors = data.map((values, i) => tensor(values, [count, ...inputs[i].shape]));
      const result = await model.predict<Tensor | Tensor[]>(tensors.length === 1 ? tensors[0] : tensors, { batchSize: count, verbose: 0 });
      return (Array.isArray(result) ? result : [result]).map((t) => t.dataSync() as Float32Array);
    },
  };
}
