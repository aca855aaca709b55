// Runs a model's recorded graph on concrete tensors, node by node through the engine's kernels
// (Keras' `model(x)` outside fit and predict), in inference mode.
import { ValueError } from '../errors.js';
import { callNative, native } from '../native.js';
import type { SymbolicTensor } from '../symbolic.js';
import { Tensor, tensor } from '../tensor.js';

export function evaluateGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[], values: Tensor[]): Tensor[] {
  const known = new Map<SymbolicTensor, Tensor>(inputs.map((t, i) => [t, values[i]]));
  const run = (t: SymbolicTensor): Tensor => {
    let value = known.get(t);
    if (value) return value;
    if (t.spec.op === 'variable') value = t.variable!.read();
    else if (t.spec.op === 'constant') value = tensor(Float32Array.from(t.spec.values), t.spec.shape);
    else if (t.spec.op === 'input') throw new ValueError(`Graph disconnected: cannot obtain a value for tensor "${t.name}": it is not one of the model's inputs`);
    else {
      const args = t.inputs.map(run);
      value = new Tensor(callNative(() => native.runOp(JSON.stringify(t.spec), args.map((a) => a.handle), t.name)));
    }
    known.set(t, value);
    return value;
  };
  return outputs.map(run);
}
