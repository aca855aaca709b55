// Keras 3's `.keras` file: a zip of metadata.json, config.json (the model, its build and
// compile configs), model.weights.h5 and assets/ (saving_lib.py).
import * as fs from 'node:fs';
import { FileFormatError } from '../errors.js';
import type { Model } from '../models/model.js';
import { loadModelAssets, modelAssets } from './assets.js';
import { writeAtomically } from './atomic_write.js';
import { compileFromKeras } from './compile_config.js';
import { KILN_METADATA_KEY, readDropoutState, restoreDropoutState } from './dropout_state.js';
import { MAX_COMPRESSION_RATIO } from './h5_file.js';
import { isPlainObject, kerasJson } from './keras_object.js';
import { withLoadBudget } from './load_budget.js';
import { modelConfig } from './model_config.js';
import { modelFromKeras } from './model_from_config.js';
import { nextTurn, withLoadWorker } from './load_worker_client.js';
import { writeH5Bytes } from './temporary_h5.js';
import { readModelWeights, restoreOptimizerState, writeModelWeights } from './weights_store.js';
import { readJsonEntry, writeZip } from './zip_archive.js';

/** The entries of a .keras file that loading reads ('assets/': every entry under it); nothing else is inflated. */
export const KERAS_ENTRIES: ReadonlySet<string> = new Set(['metadata.json', 'config.json', 'model.weights.h5', 'assets/']);

/** The Keras version whose format is written. */
export const KERAS_FORMAT_VERSION = '3.15.1';

function dateSaved(): string {
  const d = new Date();
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}@${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export async function saveKerasFile(model: Model, target: string): Promise<void> {
  const config = modelConfig(model);
  const assets = modelAssets(model);
  const weights = await writeH5Bytes((writer) => writeModelWeights(writer, model, true));
  const dropoutState = readDropoutState(model);
  const archive = writeZip({
    'metadata.json': JSON.stringify({ keras_version: KERAS_FORMAT_VERSION, date_saved: dateSaved(), ...(dropoutState && { [KILN_METADATA_KEY]: { dropout_state: dropoutState } }) }),
    'config.json': kerasJson(config),
    'model.weights.h5': weights,
    ...assets,
  });
  await writeAtomically(target, (temporary) => fs.writeFileSync(temporary, archive));
}

/** The model of a `.keras` file, with its weights, compile settings and optimizer state. */
export async function loadKerasFile(file: string, options: { compile?: boolean } = {}): Promise<Model> {
  // Inflating and decoding run in a worker thread: the event loop stays free, and HDF5's memory goes back.
  return withLoadWorker(file, async (worker) => {
    const entries = await worker.unzip(file, KERAS_ENTRIES);
    const config = readJsonEntry(entries, 'config.json', file);
    const weights = entries.get('model.weights.h5');
    if (!weights) throw new FileFormatError(`${file} has no model.weights.h5 (entries: ${[...entries.keys()].join(', ')})`);
    // The weights the config creates may not exceed what model.weights.h5 can hold.
    const model = withLoadBudget(file, weights.length * MAX_COMPRESSION_RATIO, () => modelFromKeras(config, file));
    await nextTurn();
    if (options.compile ?? true) compileFromKeras(model, isPlainObject(config) ? config.compile_config : undefined, file);
    if (entries.has('metadata.json')) restoreDropoutState(model, readJsonEntry(entries, 'metadata.json', file), file);
    loadModelAssets(model, entries, file);
    const reader = await worker.readH5Bytes(weights, `${file} (model.weights.h5)`);
    const { apply, optimizer } = readModelWeights(reader, model);
    apply();
    await nextTurn();
    if (optimizer && model.compiledState() && !(await restoreOptimizerState(model, optimizer, file))) {
      console.warn(`Skipping the optimizer state saved in ${file}: its ${optimizer.vectors.length} variables do not fit this optimizer's layout`);
    }
    return model;
  });
}
