// A functional model called as a layer: its recorded graph is recorded again on new symbolic
// inputs. Weight nodes are shared, so both models read and train the same variables.
import { ShapeError, ValueError } from '../errors.js';
import { SymbolicTensor } from '../symbolic.js';

const describe = (shape: (number | null)[]) => `[${shape.map((d) => d ?? 'null').join(', ')}]`;

/** The model's outputs (then `extra` tensors of its graph) computed from `inputs` (one per model input) instead of its own inputs. */
export function callModel(modelName: string, modelInputs: SymbolicTensor[], modelOutputs: SymbolicTensor[], inputs: SymbolicTensor[], extra: SymbolicTensor[] = []): SymbolicTensor[] {
  if (inputs.length !== modelInputs.length || inputs.some((t) => !(t instanceof SymbolicTensor))) {
    throw new ValueError(`Model "${modelName}" expects ${modelInputs.length} symbolic input(s), but it was called on ${inputs.length === 1 ? String(inputs[0]) : `${inputs.length} inputs`}`);
  }
  inputs.forEach((t, i) => {
    if (t.dtype === 'string')
      throw new ValueError(
        `Input ${i} of model "${modelName}" cannot be the string tensor ${t.toString()}: strings stay in JavaScript, where only a TextVectorization, StringLookup or Hashing layer reads them; apply one of those to it and call the model on its output`,
      );
    const expected = modelInputs[i].shape;
    const fits = t.rank === expected.length && expected.every((d, k) => d === null || t.shape[k] === null || d === t.shape[k]);
    if (!fits) throw new ShapeError(`Input ${i} of model "${modelName}" is incompatible: expected shape ${describe(expected)}, got ${describe(t.shape)}`);
  });
  const copies = new Map<SymbolicTensor, SymbolicTensor>(modelInputs.map((t, i) => [t, inputs[i]]));
  const copy = (t: SymbolicTensor): SymbolicTensor => {
    const known = copies.get(t);
    if (known) return known;
    // Weights and constants are the same nodes in both graphs.
    if (t.inputs.length === 0) return t;
    const made = new SymbolicTensor(t.shape, t.spec, t.inputs.map(copy), t.name, t.variable);
    copies.set(t, made);
    return made;
  };
  // `extra` tensors (added losses) come after the outputs.
  return [...modelOutputs, ...extra].map(copy);
}
