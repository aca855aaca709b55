// The legacy Keras `.h5` whole-model file (legacy_h5_format.py): the model config and the
// training config as JSON attributes, each layer's weights under `model_weights/<layer name>`
// listed by a `weight_names` attribute, the optimizer's under `optimizer_weights`.
import { FileFormatError, ValueError } from '../errors.js';
import { getLoss } from '../losses/index.js';
import type { Model } from '../models/model.js';
import { modelAssets } from './assets.js';
import { writeAtomically } from './atomic_write.js';
import { compileFromKeras } from './compile_config.js';
import { KILN_METADATA_KEY, LEGACY_DROPOUT_ATTRIBUTE, readDropoutState, restoreDropoutState } from './dropout_state.js';
import { type H5Reader, H5Writer, MAX_COMPRESSION_RATIO } from './h5_file.js';
import { nextTurn, withLoadWorker } from './load_worker_client.js';
import { KERAS_FORMAT_VERSION } from './keras_format.js';
import { type Config, isPlainObject, kerasJson } from './keras_object.js';
import { withLoadBudget } from './load_budget.js';
import { modelConfig } from './model_config.js';
import { modelFromKeras } from './model_from_config.js';
import { type OptimizerState, readOptimizerState } from './optimizer_state.js';
import { regularFileSize } from './regular_file.js';
import { legacyWeightNames } from './saveable_paths.js';
import { readLegacyLayerWeightsByOrder, type StoredLayers } from './legacy_weights_by_order.js';
import { assignLayerWeights, restoreOptimizerState } from './weights_store.js';

/** Legacy configs name classes without Keras 3's module and build fields. */
function legacyObject(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(legacyObject);
  if (!isPlainObject(value)) return value;
  const out: Config = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'module' || key === 'registered_name' || key === 'build_config' || key === 'compile_config') continue;
    out[key] = key === 'config' || key === 'layers' ? legacyObject(v) : v;
  }
  if (typeof value.registered_name === 'string' && value.registered_name.includes('>')) out.class_name = value.registered_name;
  return out;
}

/** Keras' legacy loader cannot read the short aliases ('mse', 'mae'): write full names. */
function fullLossNames(loss: unknown): unknown {
  if (Array.isArray(loss)) return loss.map(fullLossNames);
  return typeof loss === 'string' ? getLoss(loss).name : legacyObject(loss);
}

function writeLayerWeights(writer: H5Writer, model: Model): void {
  // Keras matches stored layers to its own by position, in its order of model.layers.
  const layers = model.layers;
  writer.setAttribute(
    'model_weights',
    'layer_names',
    layers.map((l) => l.name),
  );
  writer.setAttribute('model_weights', 'backend', 'kiln');
  writer.setAttribute('model_weights', 'keras_version', KERAS_FORMAT_VERSION);
  for (const layer of layers) {
    // Named by the layers that hold them, as Keras' `w.path` (`bidirectional/forward_lstm/lstm_cell/kernel`).
    const names = legacyWeightNames(layer);
    writer.setAttribute(`model_weights/${layer.name}`, 'weight_names', names);
    layer.weights.forEach((w, i) => {
      const parts = names[i].split('/');
      writer.writeTensor(`model_weights/${layer.name}/${parts.slice(0, -1).join('/')}`, parts[parts.length - 1], w.read().dataSync() as Float32Array, w.shape);
    });
  }
  writer.setAttribute('model_weights/top_level_model_weights', 'weight_names', []);
}

function writeOptimizerWeights(writer: H5Writer, model: Model, state: OptimizerState): void {
  const optimizer = model.compiledState()!.optimizer;
  const group = `optimizer_weights/${optimizer.name}`;
  const names = [`${optimizer.name}/iteration`, `${optimizer.name}/learning_rate`, ...state.vectors.map((_, i) => `${optimizer.name}/state_${i}`)];
  writer.setAttribute('optimizer_weights', 'weight_names', names);
  writer.writeInteger(group, 'iteration', state.iterations);
  writer.writeTensor(group, 'learning_rate', Float32Array.of(state.learningRate), []);
  state.vectors.forEach((v, i) => writer.writeTensor(group, `state_${i}`, v.values, v.shape));
}

export async function saveLegacyH5(model: Model, target: string): Promise<void> {
  // The legacy format has no assets: a vocabulary learnt by adapt() would be lost.
  const assets = Object.keys(modelAssets(model));
  if (assets.length > 0)
    throw new ValueError(
      `model.save('${target}'): the legacy .h5 format cannot keep the vocabulary learnt by adapt() (${assets.map((a) => a.replace(/^assets\//, '')).join(', ')}); save as .keras, which keeps it in its assets as Keras does`,
    );
  const config = modelConfig(model);
  await writeAtomically(target, async (temporary) => {
    const writer = await H5Writer.create(temporary);
    try {
      writer.setAttribute('/', 'backend', 'kiln');
      writer.setAttribute('/', 'keras_version', KERAS_FORMAT_VERSION);
      writer.setAttribute('/', 'model_config', kerasJson(legacyObject(config)));
      if (config.compile_config) {
        const { optimizer, loss, ...training } = config.compile_config as Config;
        writer.setAttribute('/', 'training_config', kerasJson({ ...training, loss: fullLossNames(loss), optimizer_config: legacyObject(optimizer) }));
      }
      const dropoutState = readDropoutState(model);
      if (dropoutState) writer.setAttribute('/', LEGACY_DROPOUT_ATTRIBUTE, dropoutState);
      writeLayerWeights(writer, model);
      const state = readOptimizerState(model);
      if (state) writeOptimizerWeights(writer, model, state);
    } finally {
      writer.close();
    }
  });
}

/** A list of strings from an attribute (h5py writes them as byte or text arrays). */
function nameList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.some((v) => typeof v !== 'string' && typeof v !== 'number')) throw new FileFormatError(`${what} must be a list of names`);
  return list.filter((v) => typeof v === 'string') as string[];
}

function parseJsonAttribute(reader: H5Reader, name: string): unknown {
  const raw = reader.attribute('/', name);
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new FileFormatError(`${reader.what}: the '${name}' attribute must be a JSON string`);
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new FileFormatError(`${reader.what}: the '${name}' attribute is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Each layer's stored weights from `group` (`model_weights`, or the root of a weights-only file):
 * by name when every model layer with weights finds its name in the file, else by order, as
 * Keras 3 always reads these files (see legacy_weights_by_order.ts).
 */
export function readLegacyLayerWeights(reader: H5Reader, model: Model, group: string): () => void {
  const layerNames = nameList(reader.attribute(group, 'layer_names'), `${reader.what}: layer_names`);
  const prefix = `${group}/`;
  const stored: StoredLayers = layerNames.map((name) => [name, nameList(reader.attribute(`${prefix}${name}`, 'weight_names'), `${reader.what}: weight_names of '${name}'`)]);
  const byName = new Map(stored);
  if (model.layers.some((layer) => layer.weights.length > 0 && !byName.has(layer.name))) return readLegacyLayerWeightsByOrder(reader, model, group, stored);
  const assignments = model.layers.map((layer) => {
    if (!byName.has(layer.name)) return () => {};
    const names = byName.get(layer.name) as string[];
    return assignLayerWeights(
      layer,
      names.map((n) => reader.readTensor(`${prefix}${layer.name}/${n}`)),
      reader.what,
    );
  });
  return () => assignments.forEach((assign) => assign());
}

function readLegacyOptimizer(reader: H5Reader): OptimizerState | undefined {
  const names = nameList(reader.attribute('optimizer_weights', 'weight_names'), `${reader.what}: optimizer weight_names`);
  if (names.length < 2) return undefined;
  const values = names.map((n) => reader.readTensor(`optimizer_weights/${n}`));
  return { iterations: values[0].values[0], learningRate: values[1].values[0], vectors: values.slice(2) };
}

export async function loadLegacyH5(file: string, options: { compile?: boolean } = {}): Promise<Model> {
  // Decoding runs in a worker thread: the event loop stays free, and HDF5's memory goes back.
  const reader = await withLoadWorker(file, (worker) => worker.readH5File(file, file));
  try {
    const config = parseJsonAttribute(reader, 'model_config');
    if (config === undefined) throw new FileFormatError(`${file} has no model config: it holds weights only (use model.loadWeights) or is not a Keras model file`);
    const model = withLoadBudget(file, regularFileSize(file) * MAX_COMPRESSION_RATIO, () => modelFromKeras(config, file));
    await nextTurn();
    const training = parseJsonAttribute(reader, 'training_config');
    if (options.compile ?? true) compileFromKeras(model, training, file);
    const dropoutState = reader.attribute('/', LEGACY_DROPOUT_ATTRIBUTE);
    if (dropoutState !== undefined) restoreDropoutState(model, { [KILN_METADATA_KEY]: { dropout_state: dropoutState } }, file);
    await nextTurn();
    readLegacyLayerWeights(reader, model, 'model_weights')();
    await nextTurn();
    const state = model.compiledState() ? readLegacyOptimizer(reader) : undefined;
    if (state && !(await restoreOptimizerState(model, state, file))) {
      console.warn(`Skipping the optimizer state saved in ${file}: its ${state.vectors.length} variables do not fit this optimizer's layout`);
    }
    return model;
  } finally {
    reader.close();
  }
}
