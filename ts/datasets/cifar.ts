// CIFAR's "python version" archives: a tar.gz of pickled dicts, each with `data` (uint8, one row
// of 3 x 32 x 32 channel-first pixels per image) and a list of labels.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileFormatError } from '../errors.js';
import { tensor, type Tensor } from '../tensor.js';
import { locateFile, type SingleFileSource } from './cached_file.js';
import type { DatasetSplits } from './imageClassification.js';
import { isPickledArray, pickledEntry, readPickle } from './pickle.js';
import type { LoadDataOptions } from './source.js';
import { readTarMembers } from './tar_archive.js';

const SIDE = 32;
const CHANNELS = 3;
const PIXELS = SIDE * SIDE * CHANNELS;

/** Where a CIFAR variant's batches live in its archive, and which of them form each split. */
export interface CifarLayout {
  source: SingleFileSource;
  /** The folder inside the archive: 'cifar-10-batches-py'. */
  folder: string;
  train: string[];
  test: string[];
  /** The dict entry holding the labels: 'labels', 'fine_labels', 'coarse_labels'. */
  labelKey: string;
  /** Keras gives CIFAR-10 labels as uint8 and CIFAR-100's as int64 (int32 here). */
  labelDtype: 'uint8' | 'int32';
}

/** One decoded batch: channel-last pixels and labels. */
interface CifarBatch {
  pixels: Uint8Array;
  labels: Uint8Array;
}

/**
 * Loads a CIFAR variant as Keras does: `[[xTrain, yTrain], [xTest, yTest]]`, uint8 images of
 * shape [n, 32, 32, 3] (channels last) and labels of shape [n, 1], batches in Keras' order.
 */
export async function loadCifar(layout: CifarLayout, options: LoadDataOptions): Promise<DatasetSplits> {
  const path = await locateFile(layout.source, options);
  const files = (await stat(path)).isDirectory() ? await readExtracted(path, layout) : await readArchive(path, layout);
  const split = (names: string[]) =>
    joinBatches(
      names.map((name) => decodeBatch(files.get(name)!, layout.labelKey)),
      layout.labelDtype,
    );
  return [split(layout.train), split(layout.test)];
}

async function readArchive(path: string, layout: CifarLayout): Promise<Map<string, { bytes: Uint8Array; name: string }>> {
  const wanted = new Set([...layout.train, ...layout.test].map((name) => `${layout.folder}/${name}`));
  const members = await readTarMembers(path, (name) => wanted.has(name.replace(/^\.\//, '')));
  const files = new Map<string, { bytes: Uint8Array; name: string }>();
  for (const [member, bytes] of members) files.set(member.replace(/^\.\//, '').slice(layout.folder.length + 1), { bytes, name: `${path}: ${member}` });
  const missing = [...layout.train, ...layout.test].filter((name) => !files.has(name));
  if (missing.length > 0) {
    throw new FileFormatError(`${path} is not a ${layout.source.title} archive: it lacks ${missing.map((name) => `${layout.folder}/${name}`).join(', ')}`);
  }
  return files;
}

/** An extracted archive: the batches folder itself, or the folder holding it. */
async function readExtracted(path: string, layout: CifarLayout): Promise<Map<string, { bytes: Uint8Array; name: string }>> {
  const entries = await readdir(path);
  const dir = entries.includes(layout.train[0]) ? path : join(path, layout.folder);
  const files = new Map<string, { bytes: Uint8Array; name: string }>();
  for (const name of [...layout.train, ...layout.test]) {
    const file = join(dir, name);
    try {
      files.set(name, { bytes: await readFile(file), name: file });
    } catch {
      throw new FileFormatError(`${layout.source.title}: ${file} is missing; the directory must hold the extracted ${layout.folder} batches (${[...layout.train, ...layout.test].join(', ')})`);
    }
  }
  return files;
}

function decodeBatch(file: { bytes: Uint8Array; name: string }, labelKey: string): CifarBatch {
  const batch = readPickle(file.bytes, file.name);
  const data = pickledEntry(batch, 'data', file.name);
  const labels = pickledEntry(batch, labelKey, file.name);
  if (!isPickledArray(data) || !(data.data instanceof Uint8Array) || !/^[|<>=]?u1$/.test(data.descr)) {
    throw new FileFormatError(`${file.name}: "data" must be a uint8 numpy array`);
  }
  const count = data.shape[0];
  if (data.shape.length !== 2 || data.shape[1] !== PIXELS || data.data.length !== count * PIXELS) {
    throw new FileFormatError(`${file.name}: "data" must have shape [n, ${PIXELS}] (3 x 32 x 32 pixels per image), got [${data.shape.join(', ')}] with ${data.data.length} bytes`);
  }
  const labelList = Array.isArray(labels) ? labels : isPickledArray(labels) && Array.isArray(labels.data) ? labels.data : undefined;
  if (!labelList || labelList.length !== count || !labelList.every((label) => typeof label === 'number' && Number.isInteger(label) && label >= 0 && label <= 255)) {
    throw new FileFormatError(`${file.name}: "${labelKey}" must be a list of ${count} integer labels in 0..255`);
  }
  // Keras reshapes each row to [3, 32, 32] and transposes to channels last.
  const pixels = new Uint8Array(count * PIXELS);
  const source = data.data;
  for (let image = 0; image < count; image++) {
    const base = image * PIXELS;
    for (let channel = 0; channel < CHANNELS; channel++) {
      const plane = base + channel * SIDE * SIDE;
      for (let p = 0; p < SIDE * SIDE; p++) pixels[base + p * CHANNELS + channel] = source[plane + p];
    }
  }
  return { pixels, labels: Uint8Array.from(labelList as number[]) };
}

function joinBatches(batches: CifarBatch[], labelDtype: 'uint8' | 'int32'): [Tensor, Tensor] {
  const count = batches.reduce((n, batch) => n + batch.labels.length, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let offset = 0;
  for (const batch of batches) {
    pixels.set(batch.pixels, offset * PIXELS);
    labels.set(batch.labels, offset);
    offset += batch.labels.length;
  }
  return [tensor(pixels, [count, SIDE, SIDE, CHANNELS], 'uint8'), tensor(labels, [count, 1], labelDtype)];
}
