// Keras' assets: files a layer keeps beside its variables in a `.keras` archive, under
// `assets/<the layer's path>/` (saving_lib's save_assets/load_assets): the vocabulary a lookup
// layer or TextVectorization learnt by adapt(), as `vocabulary.txt`.
import { strFromU8 } from 'fflate';
import { IndexLookup } from '../layers/preprocessing/index_lookup.js';
import type { Model } from '../models/model.js';
import { kerasVariableGroups } from './saveable_paths.js';

/** Each layer of `model` that keeps assets, with its path in the archive (its weights' group). */
function assetOwners(model: Model): [IndexLookup<string | number>, string][] {
  const owners = new Map<IndexLookup<string | number>, string>();
  for (const { layer, group, name } of kerasVariableGroups(model)) {
    // A layer's first group is its own (its sublayers' follow).
    if (layer instanceof IndexLookup && layer.name === name && !owners.has(layer)) owners.set(layer, group);
  }
  return [...owners];
}

/** The archive entries of `model`'s assets: `assets/layers/text_vectorization/vocabulary.txt`, ... */
export function modelAssets(model: Model): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const [layer, group] of assetOwners(model)) {
    for (const [name, text] of Object.entries(layer.kerasAssets() ?? {})) entries[`assets/${group}/${name}`] = text;
  }
  return entries;
}

/** Gives each layer of `model` its assets from the archive's `entries`; `file` names the archive in errors. */
export function loadModelAssets(model: Model, entries: Map<string, Uint8Array>, file: string): void {
  for (const [layer, group] of assetOwners(model)) {
    layer.loadKerasAssets((name) => {
      const data = entries.get(`assets/${group}/${name}`);
      return data && strFromU8(data);
    }, file);
  }
}
