// `model.save(path)` and `kiln.models.loadModel(path)`: the format follows the extension.
import { ValueError } from '../errors.js';
import type { Model } from '../models/model.js';
import { loadKerasFile, saveKerasFile } from './keras_format.js';
import { loadLegacyH5, saveLegacyH5 } from './legacy_h5.js';

function isLegacyH5(path: string): boolean {
  return /\.(h5|hdf5)$/i.test(path);
}

/** Saves `model` as a `.keras` zip, or a legacy `.h5` file. */
export async function saveModel(model: Model, path: string): Promise<void> {
  if (typeof path !== 'string') throw new ValueError(`model.save: the path must be a string, got ${typeof path}`);
  if (path.endsWith('.keras')) return saveKerasFile(model, path);
  if (isLegacyH5(path)) return saveLegacyH5(model, path);
  throw new ValueError(`Invalid filepath extension for saving: ${path}. Please add either a \`.keras\` extension for the native Keras format (recommended) or a \`.h5\` extension`);
}

/** The options of `loadModel`. */
export interface LoadModelOptions {
  /** Compile the model with its saved compile settings (default true, as Keras). */
  compile?: boolean;
}

/**
 * Loads a model saved by `model.save` (kiln or Keras): `.keras` or legacy `.h5`.
 * Custom classes and functions the file names must be registered first
 * (`kiln.utils.registerSerializable`). Any other extension is refused with a ValueError.
 * @example
 * ```ts
 * await model.save('mnist.keras');
 * const restored = await kiln.models.loadModel('mnist.keras');
 * const predictions = await restored.predict(xTest);
 * ```
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  if (typeof path !== 'string') throw new ValueError(`loadModel: the path must be a string, got ${typeof path}`);
  if (path.endsWith('.keras')) return loadKerasFile(path, options);
  if (isLegacyH5(path)) return loadLegacyH5(path, options);
  throw new ValueError(`File format not supported: filepath=${path}. kiln supports .keras files and legacy .h5 files`);
}
