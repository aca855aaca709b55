// Weights in the layout of Keras 3's model.weights.h5 (saving_lib.py): each layer's variables
// under `layers/<snake_case class>[_N]/vars/<i>` (recurrent layers: `.../cell/vars`; sublayers
// under the attribute holding them, see saveable_paths.ts), the optimizer's under
// `optimizer/vars/<i>` (0: iteration, 1: learning rate, then its state).
import { FileFormatError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import type { Model } from '../models/model.js';
import { tensor } from '../tensor.js';
import type { Variable } from '../variable.js';
import type { H5Reader, H5Writer } from './h5_file.js';
import { kerasVariableGroups, type VariableGroup } from './saveable_paths.js';
import { type OptimizerState, readOptimizerState, restoreOptimizerState } from './optimizer_state.js';

export function writeModelWeights(writer: H5Writer, model: Model, withOptimizer: boolean): void {
  for (const { group, vars, name, variables } of kerasVariableGroups(model)) {
    writer.setAttribute(`${group}/vars`, 'name', name);
    variables.forEach((w, i) => {
      const value = w.read();
      writer.writeTensor(vars, String(i), value.dataSync() as Float32Array, w.shape);
    });
  }
  const state = withOptimizer ? readOptimizerState(model) : undefined;
  if (state) {
    const optimizer = model.compiledState()!.optimizer;
    writer.setAttribute('optimizer/vars', 'name', optimizer.name);
    writer.writeInteger('optimizer/vars', '0', state.iterations);
    writer.writeTensor('optimizer/vars', '1', Float32Array.of(state.learningRate), []);
    state.vectors.forEach((v, i) => writer.writeTensor('optimizer/vars', String(i + 2), v.values, v.shape));
  }
  writer.setAttribute('vars', 'name', model.name);
}

/** The numbered datasets `0, 1, ...` of a vars group, in order. */
function numbered(reader: H5Reader, group: string): string[] {
  const keys = reader.keys(group);
  const indices = keys.map(Number);
  if (indices.some((i) => !Number.isInteger(i) || i < 0)) throw new FileFormatError(`${reader.what}: '${group}' holds entries that are not numbered variables: ${keys.join(', ')}`);
  indices.sort((a, b) => a - b);
  if (indices.some((v, i) => v !== i)) throw new FileFormatError(`${reader.what}: '${group}' has gaps in its variable numbers: ${indices.join(', ')}`);
  return indices.map((i) => `${group}/${i}`);
}

type StoredTensor = { shape: number[]; values: Float32Array };

/** Checks each stored shape against the layer's weights, then assigns them all. */
export function assignLayerWeights(layer: Layer, stored: StoredTensor[], what: string): () => void {
  return assignVariables(layer, layer.weights, stored, what);
}

/** Checks each stored shape against `weights` (those of `layer`, or of one of its parts), then assigns them all. */
function assignVariables(layer: { name: string }, weights: Variable[], stored: StoredTensor[], what: string): () => void {
  if (stored.length !== weights.length) {
    // Variables are stored by position: name the ones past the end of the shorter list.
    const detail =
      stored.length < weights.length
        ? `missing: ${weights
            .slice(stored.length)
            .map((w) => `'${w.name}' (shape [${w.shape.join(', ')}])`)
            .join(', ')}`
        : `unexpected: ${stored
            .slice(weights.length)
            .map((s, i) => `variable ${weights.length + i} (shape [${s.shape.join(', ')}])`)
            .join(', ')}`;
    throw new FileFormatError(
      `${what}: layer '${layer.name}' expected ${weights.length} variables, but received ${stored.length} variables during loading (${detail}). Expected: [${weights.map((w) => `${w.name} [${w.shape.join(', ')}]`).join(', ')}]`,
    );
  }
  stored.forEach((s, i) => {
    const expected = weights[i].shape;
    if (s.shape.length !== expected.length || s.shape.some((d, k) => d !== expected[k])) {
      throw new FileFormatError(`${what}: weight '${weights[i].name}' of layer '${layer.name}' has shape [${s.shape.join(', ')}] in the file, but the layer expects [${expected.join(', ')}]`);
    }
  });
  return () => stored.forEach((s, i) => weights[i].assign(tensor(s.values, s.shape)));
}

/**
 * Reads every layer's weights (all checked before any is assigned, so a bad file leaves the
 * model as it was), and the optimizer state when the model is compiled.
 */
export function readModelWeights(reader: H5Reader, model: Model): { apply: () => void; optimizer?: OptimizerState } {
  const groups = kerasVariableGroups(model);
  const byLayer = new Map<Layer, VariableGroup[]>();
  for (const g of groups) byLayer.set(g.layer, [...(byLayer.get(g.layer) ?? []), g]);
  const read = (vars: string) => (reader.has(vars) ? numbered(reader, vars).map((p) => reader.readTensor(p)) : []);
  const assignments = [...byLayer.entries()].flatMap(([layer, parts]) => {
    const stored = parts.map((part) => read(part.vars));
    // Files kiln wrote before it followed Keras' nesting keep a layer's sublayers' variables flat in its own group.
    const nestedMissing = parts.some((part, i) => part.variables.length > 0 && stored[i].length === 0);
    if (parts.length > 1 && nestedMissing && reader.has(parts[0].vars) && stored[0].length === layer.weights.length) {
      return [assignVariables(layer, layer.weights, stored[0], reader.what)];
    }
    return parts.map((part, i) => assignVariables({ name: part.name }, part.variables, stored[i], reader.what));
  });
  let optimizer: OptimizerState | undefined;
  if (reader.has('optimizer/vars')) {
    const stored = numbered(reader, 'optimizer/vars').map((p) => reader.readTensor(p));
    if (stored.length >= 2) {
      optimizer = { iterations: stored[0].values[0], learningRate: stored[1].values[0], vectors: stored.slice(2) };
    }
  }
  return { apply: () => assignments.forEach((assign) => assign()), optimizer };
}

export { restoreOptimizerState };
