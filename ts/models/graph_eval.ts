// Runs a model's recorded graph on concrete tensors, node by node through the engine's kernels
// (Keras' `model(x)` outside fit and predict), in inference mode.
import { ValueError } from '../errors.js';
import { callNative, native } from '../native.js';
import { runStatefulRnn } from '../ops.js';
import type { SymbolicTensor } from '../symbolic.js';
import { Tensor, tensor } from '../tensor.js';

export function evaluateGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[], values: Tensor[]): Tensor[] {
  const known = new Map<SymbolicTensor, Tensor>(inputs.map((t, i) => [t, values[i]]));
  const run = (t: SymbolicTensor): Tensor => {
    let value = known.get(t);
    if (value) return value;
    const { spec } = t;
    if (spec.op === 'variable') value = t.variable!.read();
    else if (spec.op === 'constant') value = tensor(Float32Array.from(spec.values), spec.shape);
    else if (spec.op === 'input') throw new ValueError(`Graph disconnected: cannot obtain a value for tensor "${t.name}": it is not one of the model's inputs`);
    else if (spec.op === 'rnn' && spec.stateful) {
      // A stateful layer's states (its last inputs) take its final states, as in an eager call.
      const states = t.inputs.slice(-(spec.cell === 'lstm' ? 2 : 1)).map((s) => s.variable!);
      value = runStatefulRnn(spec, t.inputs.map(run), states);
    } else {
      const args = t.inputs.map(run);
      value = new Tensor(
        callNative(() =>
          native.runOp(
            JSON.stringify(t.spec),
            args.map((a) => a.handle),
            t.name,
          ),
        ),
      );
    }
    known.set(t, value);
    return value;
  };
  return outputs.map(run);
}
