// Keras' order-based rule for legacy `.h5` weights (legacy_h5_format.load_weights_from_hdf5_group):
// the k-th stored layer that has weights goes to the k-th model layer that has weights, whatever
// their names. Keras' published ImageNet files of the keras-applications era (ResNet50, ...)
// name their layers differently from today's builders, and load this way.
import { FileFormatError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import type { Model } from '../models/model.js';
import { tensor } from '../tensor.js';
import type { H5Reader } from './h5_file.js';

type StoredTensor = ReturnType<H5Reader['readTensor']>;

/** The stored layers of `group` as [name, weight names], in the file's order. */
export type StoredLayers = [string, string[]][];

/**
 * Checks the stored layers against the model's by position, as Keras does, and returns the
 * assignment (nothing is assigned before every layer has been checked).
 */
export function readLegacyLayerWeightsByOrder(reader: H5Reader, model: Model, group: string, stored: StoredLayers): () => void {
  const layers = model.layers.filter((layer) => layer.weights.length > 0);
  const saved = stored.filter(([, weightNames]) => weightNames.length > 0);
  if (saved.length !== layers.length) {
    throw new FileFormatError(`${reader.what}: Layer count mismatch when loading weights from file. Model expected ${layers.length} layers, found ${saved.length} saved layers.`);
  }
  const assignments = saved.map(([name, weightNames], k) => {
    const layer = layers[k];
    if (weightNames.length !== layer.weights.length) {
      throw new FileFormatError(
        `${reader.what}: Weight count mismatch for layer #${k} (named ${layer.name} in the current model, ${name} in the save file). Layer expects ${layer.weights.length} weight(s). Received ${weightNames.length} saved weight(s)`,
      );
    }
    const prefix = `${group}/${name}`;
    return checkedAssignment(
      reader,
      layer,
      k,
      weightNames.map((w) => reader.readTensor(`${prefix}/${w}`)),
    );
  });
  return () => assignments.forEach((assign) => assign());
}

function checkedAssignment(reader: H5Reader, layer: Layer, k: number, values: StoredTensor[]): () => void {
  const weights = layer.weights;
  values.forEach((value, i) => {
    const expected = weights[i].shape;
    if (value.shape.length !== expected.length || value.shape.some((d, axis) => d !== expected[axis])) {
      throw new FileFormatError(
        `${reader.what}: Shape mismatch in layer #${k} (named ${layer.name}) for weight ${weights[i].path}. Weight expects shape [${expected.join(', ')}]. Received saved weight with shape [${value.shape.join(', ')}]`,
      );
    }
  });
  return () => values.forEach((value, i) => weights[i].assign(tensor(value.values, value.shape)));
}
