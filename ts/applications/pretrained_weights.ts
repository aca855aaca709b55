// Keras' published ImageNet weights: found in the cache (`$KILN_HOME/models`, else
// `~/.kiln/models`, beside the datasets' cache as Keras keeps ~/.keras/models beside
// ~/.keras/datasets) when their checksum matches, else downloaded once from Keras' URL and
// checked the same way; `KILN_APPLICATIONS_BASE_URL` names a mirror (the datasets' downloader: partial files never land in the cache).
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FileFormatError } from '../errors.js';
import { downloadFile, type RemoteFile, verifyCachedFile } from '../datasets/download.js';
import { datasetsCacheDir } from '../datasets/source.js';

/** Where Keras publishes a family's weight files. */
export const KERAS_APPLICATIONS_URL = 'https://storage.googleapis.com/tensorflow/keras-applications/';

/** One published weights file: its name in the cache, its URL and Keras' `file_hash` (MD5 or SHA-256). */
export interface PretrainedFile {
  name: string;
  url: string;
  /** Keras' checksum; '' where Keras gives none (MobileNet's files), so any copy is used as Keras does. */
  hash: string;
}

/**
 * Keras' URL, or its place under `KILN_APPLICATIONS_BASE_URL` when that names a mirror of Keras'
 * keras-applications folder (the same subfolders and names).
 */
function urlOf(file: PretrainedFile): string {
  const mirror = process.env.KILN_APPLICATIONS_BASE_URL;
  if (!mirror || !file.url.startsWith(KERAS_APPLICATIONS_URL)) return file.url;
  return `${mirror.endsWith('/') ? mirror : `${mirror}/`}${file.url.slice(KERAS_APPLICATIONS_URL.length)}`;
}

/** The largest published weights file (VGG19 with its top) is 575 MB. */
const MAX_WEIGHTS_BYTES = 1024 * 1024 * 1024;

/** The folder pretrained weights are cached in. */
export function modelsCacheDir(): string {
  return join(dirname(datasetsCacheDir()), 'models');
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The local path of `file`: the verified cached copy, else a fresh verified download. */
export async function pretrainedWeightsPath(builder: string, file: PretrainedFile): Promise<string> {
  const remote: RemoteFile = { name: file.name, hash: file.hash, checksumOf: 'file', maxBytes: MAX_WEIGHTS_BYTES, origin: file.url };
  const cached = join(modelsCacheDir(), file.name);
  const problems: string[] = [];
  if (await exists(cached)) {
    const wrong = file.hash === '' ? undefined : await verifyCachedFile(cached, remote);
    if (!wrong) return cached;
    problems.push(wrong);
    process.emitWarning(`${builder}: ${wrong}; downloading it again`);
  }
  const url = urlOf(file);
  try {
    await downloadFile(url, cached, remote);
    return cached;
  } catch (error) {
    problems.push((error as Error).message);
  }
  const checksum = file.hash === '' ? '' : ` (${file.hash.length === 32 ? 'MD5' : 'SHA-256'} ${file.hash})`;
  throw new FileFormatError(
    [
      `${builder}: cannot load the ImageNet weights: ${problems.join('; ')}.`,
      'To use them offline, either:',
      `  - put ${file.name}${checksum} at ${cached} (download it from ${url}),`,
      `  - or pass the file's path as \`weights\`,`,
      '  - or choose another cache folder with the KILN_HOME environment variable (weights go to $KILN_HOME/models).',
    ].join('\n'),
  );
}
