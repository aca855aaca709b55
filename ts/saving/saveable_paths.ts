// Where Keras 3 keeps each variable of a model, in both of its file formats.
// `.keras` / `.weights.h5` (saving_lib.py): every saveable object has a group named by the path
// that reaches it: a model's layers under `layers/<snake_case class>[_N]`, a layer's sublayers
// under the attribute that holds them (`forward_layer`, `layer`, `ffn`), a list or dict of layers
// under its attribute then by class (`projections/dense_1`), a recurrent layer's variables in its
// cell (`cell/vars`); each object once, at the first path that reaches it.
// Legacy `.h5` (legacy_h5_format.py): each top-level layer lists `weight_names`, the variables'
// paths made of the names of the layers that built them (`bidirectional/forward_lstm/lstm_cell/kernel`).
import type { Layer } from '../layers/layer.js';
import { BaseRNN } from '../layers/rnn/base_rnn.js';
import { type HeldLayer, heldLayersByProperty } from '../layers/tracking.js';
import { Model } from '../models/model.js';
import { snakeCase } from '../utils/naming.js';
import type { Variable } from '../variable.js';
import { KerasOperation } from './keras_operation.js';
import { isSequential } from './model_config.js';

/** One saveable object's group and the variables it keeps there (its own, not its sublayers'). */
export interface VariableGroup {
  /** The top-level layer (a direct layer of the saved model, or of a nested model) it belongs to. */
  layer: Layer;
  /** The object's group, where Keras writes its name (`layers/bidirectional/forward_layer`). */
  group: string;
  /** The group of its variables (`.../vars`, recurrent layers `.../cell/vars`). */
  vars: string;
  name: string;
  variables: Variable[];
}

/** The class name Keras gives a layer's group: a kiln functional `Model` is Keras' `Functional`. */
function groupClassName(layer: HeldLayer): string {
  if (layer instanceof Model) return isSequential(layer) ? 'sequential' : 'functional';
  // A class Keras exports under another name than its Python class (GroupQueryAttention) names its group.
  return (layer.constructor as { kerasGroupName?: string }).kerasGroupName ?? snakeCase(layer.constructor.name);
}

/**
 * A layer that keeps its variables in groups of Keras sublayers it does not hold as kiln layers
 * (MultiHeadAttention's EinsumDense projections), each path relative to its own group.
 */
interface OwnVariableGroups {
  kerasVariableGroups(): { path: string; weights: Variable[] }[];
}

/** Keras' `_name_key`: attributes in name order, private ones last. */
function attributeKey(name: string): string {
  return name.startsWith('_') ? `~${name}` : name;
}

/** Layers of a model that Keras saves: its operations (`x + 3.0`) are not layers there. */
function savedLayers(model: Model): HeldLayer[] {
  return (model.layers as HeldLayer[]).filter((layer) => !(layer instanceof KerasOperation));
}

/** Names a list of saveables by class, `dense`, `dense_1`, ..., as Keras' container state does. */
function byClass(members: HeldLayer[], prefix: string): [HeldLayer, string][] {
  const used = new Map<string, number>();
  return members.map((member) => {
    const base = groupClassName(member);
    const count = used.get(base) ?? 0;
    used.set(base, count + 1);
    return [member, `${prefix}/${count === 0 ? base : `${base}_${count}`}`];
  });
}

/** Every variable group of `model` in Keras' `.keras` layout, in Keras' walking order. */
export function kerasVariableGroups(model: Model): VariableGroup[] {
  const groups: VariableGroup[] = [];
  const visited = new Set<HeldLayer>();
  const visit = (object: HeldLayer, group: string, top: Layer | undefined): void => {
    if (visited.has(object)) return;
    visited.add(object);
    if (object instanceof Model) {
      for (const [layer, path] of byClass(savedLayers(object), `${group}/layers`)) visit(layer, path, top ?? (layer as Layer));
      return;
    }
    const layer = object as Layer;
    const owner = top ?? layer;
    // Keras' recurrent layers keep their variables in a cell object.
    const cell = layer instanceof BaseRNN;
    if ('kerasVariableGroups' in layer) {
      groups.push({ layer: owner, group, vars: `${group}/vars`, name: layer.name, variables: [] });
      for (const { path, weights } of (layer as unknown as OwnVariableGroups).kerasVariableGroups()) {
        const vars = `${group}/${path}`;
        groups.push({ layer: owner, group: vars.replace(/\/vars$/, ''), vars, name: layer.name, variables: weights });
      }
    } else {
      groups.push({ layer: owner, group, vars: cell ? `${group}/cell/vars` : `${group}/vars`, name: layer.name, variables: layer.ownWeights });
    }
    const properties = heldLayersByProperty(layer)
      .map((p) => ({ ...p, attribute: snakeCase(p.property) }))
      .sort((a, b) => (attributeKey(a.attribute) < attributeKey(b.attribute) ? -1 : attributeKey(a.attribute) > attributeKey(b.attribute) ? 1 : 0));
    for (const { attribute, held, container } of properties) {
      if (!container) visit(held[0], `${group}/${attribute}`, owner);
      else for (const [member, path] of byClass(held, `${group}/${attribute}`)) visit(member, path, owner);
    }
  };
  for (const [layer, path] of byClass(savedLayers(model), 'layers')) visit(layer, path, layer instanceof Model ? undefined : (layer as Layer));
  return groups;
}

/** The legacy `.h5` names of `layer.weights`, in that order (`dense/kernel`, `lstm/lstm_cell/bias`). */
export function legacyWeightNames(layer: Layer): string[] {
  const names = new Map<Variable, string>();
  const visit = (object: HeldLayer, prefix: string): void => {
    if (object instanceof Model) {
      for (const inner of savedLayers(object)) visit(inner, `${prefix}/${(inner as Layer).name}`);
      return;
    }
    const current = object as Layer;
    const cell = current instanceof BaseRNN ? `/${groupClassName(current)}_cell` : '';
    for (const w of current.ownWeights) if (!names.has(w)) names.set(w, `${prefix}${cell}/${w.name}`);
    for (const held of heldLayersByProperty(current).flatMap((p) => p.held)) visit(held, `${prefix}/${(held as Layer).name}`);
  };
  visit(layer, layer.name);
  return layer.weights.map((w) => names.get(w) ?? `${layer.name}/${w.path}`);
}
