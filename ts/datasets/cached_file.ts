import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FileFormatError } from '../errors.js';
import { downloadFile, verifyCachedFile, type RemoteFile } from './download.js';
import { baseUrl, datasetsCacheDir, type LoadDataOptions } from './source.js';

/** A dataset that Keras downloads as one file (an archive, an .npz, a .json). */
export interface SingleFileSource {
  /** The name in messages: 'CIFAR-10'. */
  title: string;
  file: RemoteFile;
  /** What `path` may also name, for messages: 'or the extracted cifar-10-batches-py directory'. */
  pathAlternative?: string;
}

/** Keras' origin, unless KILN_DATASETS_BASE_URL names a mirror that holds every file by name. */
function urlOf(file: RemoteFile): string {
  if (process.env.KILN_DATASETS_BASE_URL || !file.origin) return baseUrl() + file.name;
  return file.origin;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of a dataset's file: `options.path` when given (used as is); else the cached copy in
 * the cache folder once its checksum matches (a copy that does not match is deleted); else a
 * fresh download into the cache, checked the same way. Fails with a FileFormatError that says
 * where to put the file when none of that works.
 */
export async function locateFile(source: SingleFileSource, options: LoadDataOptions = {}): Promise<string> {
  if (options.path !== undefined) {
    const path = resolve(options.path);
    if (!(await exists(path))) throw new FileFormatError(`${source.title}: the path ${path} does not exist`);
    return path;
  }
  const cache = datasetsCacheDir(options.cacheDir);
  const cached = join(cache, source.file.name);
  const problems: string[] = [];
  if (await exists(cached)) {
    const wrong = await verifyCachedFile(cached, source.file);
    if (!wrong) return cached;
    problems.push(wrong);
    process.emitWarning(`${source.title}: ${wrong}; downloading it again`);
  }
  const url = urlOf(source.file);
  try {
    await downloadFile(url, cached, source.file);
    return cached;
  } catch (error) {
    problems.push((error as Error).message);
  }
  throw new FileFormatError(
    [
      `Cannot load the ${source.title} dataset: ${problems.join('; ')}.`,
      'To use it offline, either:',
      `  - put ${source.file.name} (${source.file.hash.length === 32 ? 'MD5' : 'SHA-256'} ${source.file.hash}) at ${cached} (download it from ${url}),`,
      `  - or pass its location: loadData({ path: '/where/it/is/${source.file.name}' })${source.pathAlternative ? ` (${source.pathAlternative})` : ''},`,
      '  - or choose another cache with loadData({ cacheDir }) or the KILN_HOME environment variable.',
    ].join('\n'),
  );
}
