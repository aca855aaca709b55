// Weights in the layout of Keras 3's model.weights.h5 (saving_lib.py): each layer's variables
// under `layers/<snake_case class>[_N]/vars/<i>` (recurrent layers: `.../cell/vars`), the
// optimizer's under `optimizer/vars/<i>` (0: iteration, 1: learning rate, then its state).
import { FileFormatError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import { BaseRNN } from '../layers/rnn/base_rnn.js';
import { Model } from '../models/model.js';
import { tensor } from '../tensor.js';
import type { Variable } from '../variable.js';
import { snakeCase } from '../utils/naming.js';
import type { H5Reader, H5Writer } from './h5_file.js';
import { KerasOperation } from './keras_operation.js';
import { isSequential } from './model_config.js';
import { type OptimizerState, readOptimizerState, restoreOptimizerState } from './optimizer_state.js';

/** A layer that keeps its variables in several Keras groups (sublayers), relative to its own. */
interface GroupedVariables {
  kerasVariableGroups(): { path: string; weights: Variable[] }[];
}

/** Where each of a layer's variables lives: its `vars` group, or the groups it names. */
function variableGroups(layer: Layer, group: string, vars: string): { path: string; weights: Variable[] }[] {
  if ('kerasVariableGroups' in layer) return (layer as unknown as GroupedVariables).kerasVariableGroups().map((g) => ({ path: `${group}/${g.path}`, weights: g.weights }));
  return [{ path: vars, weights: layer.weights }];
}

/** The class name Keras gives a layer's group: a kiln functional `Model` is Keras' `Functional`. */
function groupClassName(layer: Layer | Model): string {
  if (layer instanceof Model) return isSequential(layer) ? 'sequential' : 'functional';
  // A class Keras exports under another name than its Python class (GroupQueryAttention) names its group.
  return (layer.constructor as { kerasGroupName?: string }).kerasGroupName ?? snakeCase(layer.constructor.name);
}

/**
 * Each layer with the group Keras keeps its variables in, named by class, not by layer name;
 * the layers of a nested model sit under its group (`layers/sequential/layers/dense/vars`).
 */
export function layerPaths(model: Model, prefix = ''): { layer: Layer; group: string; vars: string }[] {
  const used = new Map<string, number>();
  // Keras operations (`x + 3.0` in a functional model) are not layers there: they have no group.
  const layers = (model.layers as (Layer | Model)[]).filter((layer) => !(layer instanceof KerasOperation));
  return layers.flatMap((layer) => {
    const base = groupClassName(layer);
    const count = used.get(base) ?? 0;
    used.set(base, count + 1);
    const group = `${prefix}layers/${count === 0 ? base : `${base}_${count}`}`;
    if (layer instanceof Model) return layerPaths(layer, `${group}/`);
    // Keras' recurrent layers hold their weights in a cell object.
    return [{ layer, group, vars: layer instanceof BaseRNN ? `${group}/cell/vars` : `${group}/vars` }];
  });
}

export function writeModelWeights(writer: H5Writer, model: Model, withOptimizer: boolean): void {
  for (const { layer, group, vars } of layerPaths(model)) {
    writer.setAttribute(`${group}/vars`, 'name', layer.name);
    for (const { path, weights } of variableGroups(layer, group, vars)) {
      weights.forEach((w, i) => writer.writeTensor(path, String(i), w.read().dataSync() as Float32Array, w.shape));
    }
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

/** Checks each stored shape against the layer's weights, then assigns them all. */
export function assignLayerWeights(layer: Layer, stored: { shape: number[]; values: Float32Array }[], what: string): () => void {
  const weights = layer.weights;
  if (stored.length !== weights.length) {
    // Variables are stored by position: name the ones past the end of the shorter list.
    const detail =
      stored.length < weights.length
        ? `missing: ${weights.slice(stored.length).map((w) => `'${w.name}' (shape [${w.shape.join(', ')}])`).join(', ')}`
        : `unexpected: ${stored.slice(weights.length).map((s, i) => `variable ${weights.length + i} (shape [${s.shape.join(', ')}])`).join(', ')}`;
    throw new FileFormatError(`${what}: layer '${layer.name}' expected ${weights.length} variables, but received ${stored.length} variables during loading (${detail}). Expected: [${weights.map((w) => `${w.name} [${w.shape.join(', ')}]`).join(', ')}]`);
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
  const assignments = layerPaths(model).map(({ layer, group, vars }) => {
    const stored = variableGroups(layer, group, vars).flatMap(({ path }) => (reader.has(path) ? numbered(reader, path).map((p) => reader.readTensor(p)) : []));
    return assignLayerWeights(layer, stored, reader.what);
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
