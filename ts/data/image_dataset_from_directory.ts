// keras.utils.image_dataset_from_directory: one folder per class, images decoded and resized as
// the dataset is iterated, so only a batch of images is in memory at a time.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileFormatError, ValueError } from '../errors.js';
import { tensor, type Tensor } from '../tensor.js';
import { numpyShuffle } from '../utils/mersenne_twister.js';
import { drawSeed } from '../utils/seeded_random.js';
import { Dataset } from './dataset.js';
import { decodeImage } from './image_decode.js';
import { resizeInto, type Interpolation } from './image_resize.js';

/** Options of `imageDatasetFromDirectory`, with Keras' defaults. */
export interface ImageDatasetOptions {
  /** 'inferred' (default): from the class folders; an array: one label per file, in sorted path order; null: no labels. */
  labels?: 'inferred' | number[] | null;
  /** 'int' (default, int32), 'categorical' (one-hot float32), 'binary' (float32 [n, 1]) or null. */
  labelMode?: 'int' | 'categorical' | 'binary' | null;
  /** The class folders to use, in label order. Default: every folder, sorted. */
  classNames?: string[];
  /** 'rgb' (default), 'rgba' or 'grayscale'. */
  colorMode?: 'rgb' | 'rgba' | 'grayscale';
  /** Default 32; null yields single images. */
  batchSize?: number | null;
  /** [height, width] of the output images. Default [256, 256]. */
  imageSize?: [number, number] | number;
  /** Shuffle the files (with numpy's RandomState(seed), as Keras) and each epoch's order. Default true. */
  shuffle?: boolean;
  /**
   * The shuffle seed (default: drawn from kiln's generator, so `kiln.setSeed` repeats it). Required
   * with `validationSplit` and shuffling, so the two subsets do not overlap.
   */
  seed?: number;
  /** The fraction of the files held out for validation. */
  validationSplit?: number;
  /** 'training', 'validation' or 'both' (returns [training, validation]). */
  subset?: 'training' | 'validation' | 'both';
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: Interpolation;
  /** Print "Found N files belonging to K classes." as Keras does. Default true. */
  verbose?: boolean;
}

/** The dataset, with the class names and file paths Keras attaches to it. */
export type ImageDataset = Dataset<Tensor | Tensor[]> & { classNames: string[] | null; filePaths: string[] };

const FORMATS = ['.png', '.jpg', '.jpeg'];
const CHANNELS = { rgb: 3, rgba: 4, grayscale: 1 } as const;

/** The image files under `dir`, sorted as Keras walks them (by folder, then name). */
async function imageFiles(dir: string): Promise<string[]> {
  const found: [string, string][] = [];
  const walk = async (folder: string) => {
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.isDirectory()) await walk(join(folder, entry.name));
      else if (FORMATS.some((ext) => entry.name.toLowerCase().endsWith(ext))) found.push([folder, entry.name]);
    }
  };
  await walk(dir);
  found.sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1));
  return found.map(([folder, name]) => join(folder, name));
}

/** Keras' get_training_or_validation_split. */
function splitFor<T>(items: T[], validationSplit: number | undefined, subset: string): T[] {
  if (!validationSplit) return items;
  const validation = Math.floor(validationSplit * items.length);
  return subset === 'training' ? items.slice(0, items.length - validation) : items.slice(items.length - validation);
}

/**
 * A Dataset of images read from `directory`, as `keras.utils.image_dataset_from_directory`
 * does: with labels inferred from the class folders (`directory/cats/*.png` is class 'cats'),
 * images resized to `imageSize` as float32 values 0..255, batched, shuffled. PNG and JPEG files
 * are read; an unreadable one fails with its path when its batch is made.
 */
export async function imageDatasetFromDirectory(directory: string, options: ImageDatasetOptions & { subset: 'both' }): Promise<[ImageDataset, ImageDataset]>;
export async function imageDatasetFromDirectory(directory: string, options?: ImageDatasetOptions): Promise<ImageDataset>;
export async function imageDatasetFromDirectory(directory: string, options: ImageDatasetOptions = {}): Promise<ImageDataset | [ImageDataset, ImageDataset]> {
  const { colorMode = 'rgb', shuffle = true, validationSplit, subset, interpolation = 'bilinear', verbose = true } = options;
  let labelsOption = options.labels === undefined ? 'inferred' : options.labels;
  let labelMode = options.labelMode === undefined ? 'int' : options.labelMode;
  const batchSize = options.batchSize === undefined ? 32 : options.batchSize;
  const size = options.imageSize ?? [256, 256];
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  if (labelsOption !== 'inferred' && labelsOption !== null && !Array.isArray(labelsOption)) {
    throw new ValueError(
      `\`labels\` argument should be a list of integer labels, of the same size as the number of image files in the target directory, "inferred" or null. Received: labels=${String(labelsOption)}`,
    );
  }
  if (labelsOption !== 'inferred' && options.classNames) throw new ValueError('You can only pass `classNames` if `labels="inferred"`.');
  if (labelMode !== 'int' && labelMode !== 'categorical' && labelMode !== 'binary' && labelMode !== null) {
    throw new ValueError(`\`labelMode\` argument must be one of "int", "categorical", "binary", or null. Received: labelMode=${String(labelMode)}`);
  }
  if (labelsOption === null || labelMode === null) [labelsOption, labelMode] = [null, null];
  const channels = CHANNELS[colorMode];
  if (!channels) throw new ValueError(`\`colorMode\` must be one of "rgb", "rgba", "grayscale". Received: colorMode=${String(colorMode)}`);
  if (![height, width].every((d) => Number.isInteger(d) && d > 0)) throw new ValueError(`Invalid \`imageSize\` value. Expected two positive integers. Received: imageSize=${JSON.stringify(size)}`);
  if (interpolation !== 'bilinear' && interpolation !== 'nearest')
    throw new ValueError(`Argument \`interpolation\` should be 'bilinear' or 'nearest'. Received: interpolation=${String(interpolation)}`);
  if (batchSize !== null && (!Number.isInteger(batchSize) || batchSize <= 0)) throw new ValueError(`\`batchSize\` must be a positive integer or null, got ${batchSize}`);
  if (validationSplit !== undefined && !(validationSplit > 0 && validationSplit < 1)) throw new ValueError(`\`validationSplit\` must be between 0 and 1, received: ${validationSplit}`);
  if (Boolean(validationSplit) !== Boolean(subset)) throw new ValueError('If `subset` is set, `validationSplit` must be set, and inversely.');
  if (subset !== undefined && subset !== 'training' && subset !== 'validation' && subset !== 'both')
    throw new ValueError(`\`subset\` must be either "training", "validation" or "both", received: ${String(subset)}`);
  if (validationSplit && shuffle && options.seed === undefined) {
    throw new ValueError('If using `validationSplit` and shuffling the data, you must provide a `seed` argument, to make sure that there is no overlap between the training and validation subset.');
  }
  try {
    if (!(await stat(directory)).isDirectory()) throw new Error();
  } catch {
    throw new FileFormatError(`imageDatasetFromDirectory: ${directory} is not a directory`);
  }
  const seed = options.seed ?? drawSeed();

  // Index the files as Keras' index_directory does.
  let classNames: string[] | null = null;
  let paths: string[];
  let labels: number[] | null = null;
  if (labelsOption === 'inferred') {
    const entries = await readdir(directory, { withFileTypes: true });
    const folders = entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
    if (options.classNames && !options.classNames.every((name) => folders.includes(name))) {
      throw new ValueError(
        `The \`classNames\` passed did not match the names of the subdirectories of the target directory. Expected: ${JSON.stringify(folders)} (or a subset of it), but received: classNames=${JSON.stringify(options.classNames)}`,
      );
    }
    classNames = options.classNames ?? folders;
    paths = [];
    labels = [];
    for (const [index, name] of classNames.entries()) {
      const files = await imageFiles(join(directory, name));
      paths.push(...files);
      labels.push(...files.map(() => index));
    }
  } else {
    paths = await imageFiles(directory);
    if (Array.isArray(labelsOption)) {
      if (labelsOption.length !== paths.length) {
        throw new ValueError(
          `Expected the lengths of \`labels\` to match the number of files in the target directory. len(labels) is ${labelsOption.length} while we found ${paths.length} files in directory ${directory}.`,
        );
      }
      labels = [...labelsOption];
      classNames = [...new Set(labels)].sort((a, b) => a - b).map(String);
    }
  }
  if (verbose) {
    process.stdout.write(labels ? `Found ${paths.length} files belonging to ${classNames!.length} classes.\n` : `Found ${paths.length} files.\n`);
  }
  if (shuffle) {
    // Keras shuffles paths and labels with two generators of the same seed: the same permutation.
    numpyShuffle(paths, seed);
    if (labels) numpyShuffle(labels, seed);
  }
  if (labelMode === 'binary' && classNames?.length !== 2) {
    throw new ValueError(`When passing \`labelMode="binary"\`, there must be exactly 2 classNames. Received: classNames=${JSON.stringify(classNames)}`);
  }

  const make = (part: string, shuffleEachEpoch: boolean): ImageDataset => {
    const files = splitFor(paths, validationSplit, part);
    const fileLabels = labels ? splitFor(labels, validationSplit, part) : null;
    if (files.length === 0) throw new ValueError(`No ${part === 'all' ? '' : `${part} `}images found in directory ${directory}. Allowed formats: ${FORMATS.join(', ')}`);
    const numClasses = classNames?.length ?? 0;
    const loadBatch = async (indices: number[]): Promise<Tensor | Tensor[]> => {
      const pixels = new Float32Array(indices.length * height * width * channels);
      for (const [row, index] of indices.entries()) {
        const image = decodeImage(await readFile(files[index]), files[index], channels);
        resizeInto(image, height, width, interpolation, pixels, row * height * width * channels);
      }
      const lead = batchSize === null ? [] : [indices.length];
      const x = tensor(pixels, [...lead, height, width, channels]);
      if (!fileLabels || labelMode === null) return x;
      const chosen = indices.map((i) => fileLabels[i]);
      if (labelMode === 'int') return [x, tensor(Int32Array.from(chosen), lead, 'int32')];
      if (labelMode === 'binary') return [x, tensor(Float32Array.from(chosen), [...lead, 1])];
      const oneHot = new Float32Array(chosen.length * numClasses);
      chosen.forEach((label, i) => (oneHot[i * numClasses + label] = 1));
      return [x, tensor(oneHot, [...lead, numClasses])];
    };
    const chunk = batchSize ?? 1;
    let epoch = 0;
    const dataset = new Dataset<Tensor | Tensor[]>(
      async function* () {
        // Each epoch after the file shuffle sees a new order, as Keras' dataset.shuffle does.
        const order = Array.from({ length: files.length }, (_, i) => i);
        if (shuffleEachEpoch && epoch++ > 0) numpyShuffle(order, (seed + epoch) >>> 0);
        for (let first = 0; first < order.length; first += chunk) yield loadBatch(order.slice(first, first + chunk));
      },
      Math.ceil(files.length / chunk),
    ) as ImageDataset;
    dataset.classNames = classNames;
    dataset.filePaths = files;
    return dataset;
  };
  if (subset === 'both') return [make('training', shuffle), make('validation', false)];
  return make(subset ?? 'all', shuffle);
}
