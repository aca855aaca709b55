// `model.saveWeights(path)` / `model.loadWeights(path)`: `.weights.h5` files in Keras 3's layout
// (the layout of model.weights.h5 inside a .keras file); loading also reads `.keras` files and
// legacy `.h5` files.
import { FileFormatError, ValueError } from '../errors.js';
import type { Model } from '../models/model.js';
import { writeAtomically } from './atomic_write.js';
import { type H5Reader, H5Writer } from './h5_file.js';
import { readLegacyLayerWeights } from './legacy_h5.js';
import { withLoadWorker } from './load_worker_client.js';
import { readModelWeights, restoreOptimizerState, writeModelWeights } from './weights_store.js';

function requireBuilt(model: Model, action: string): void {
  if (!model.built) throw new ValueError(`${action}: the model has not been built yet: give its first layer an inputShape, or call it on data first`);
}

export async function saveWeights(model: Model, path: string): Promise<void> {
  if (typeof path !== 'string' || !path.endsWith('.weights.h5')) {
    throw new ValueError(`The filename must end in \`.weights.h5\`. Received: filepath=${String(path)}`);
  }
  requireBuilt(model, 'saveWeights');
  await writeAtomically(path, async (temporary) => {
    const writer = await H5Writer.create(temporary);
    try {
      writeModelWeights(writer, model, true);
    } finally {
      writer.close();
    }
  });
}

async function loadFrom(reader: H5Reader, model: Model): Promise<void> {
  // A legacy whole-model or weights file lists its layers by name; Keras 3's groups them by class.
  if (reader.has('model_weights')) return readLegacyLayerWeights(reader, model, 'model_weights')();
  if (reader.attribute('/', 'layer_names') !== undefined) return readLegacyLayerWeights(reader, model, '/')();
  const { apply, optimizer } = readModelWeights(reader, model);
  apply();
  if (optimizer && model.compiledState()) await restoreOptimizerState(model, optimizer, reader.what);
}

export async function loadWeights(model: Model, path: string): Promise<void> {
  if (typeof path !== 'string') throw new ValueError(`loadWeights: the path must be a string, got ${typeof path}`);
  requireBuilt(model, 'loadWeights');
  if (!path.endsWith('.keras') && !/\.(h5|hdf5)$/i.test(path)) throw new ValueError(`File format not supported: filepath=${path}. loadWeights reads .weights.h5, .keras and legacy .h5 files`);
  // Reading runs in a worker thread: the event loop stays free, and HDF5's memory goes back.
  const reader = await withLoadWorker(path, async (worker) => {
    if (!path.endsWith('.keras')) return worker.readH5File(path, path);
    const weights = (await worker.unzip(path, ['model.weights.h5'])).get('model.weights.h5');
    if (!weights) throw new FileFormatError(`${path} has no model.weights.h5`);
    return worker.readH5Bytes(weights, `${path} (model.weights.h5)`);
  });
  await loadFrom(reader, model);
}
