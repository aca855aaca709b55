import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';
import { FileFormatError } from '../errors.js';
import { downloadFile, type RemoteFile } from './download.js';

/**
 * Where `loadData` finds a dataset. Environment variables tune the rest: `KILN_HOME` (the cache
 * is `$KILN_HOME/datasets`), `KILN_DATASETS_BASE_URL` (a mirror of Keras' download folder),
 * `KILN_DATASETS_SYSTEM_DIRS` (data folders searched after the cache, separated by ':';
 * default /usr/share/datasets; empty for none), `KILN_DATASETS_TIMEOUT_MS` (how long a download
 * may wait for the server; default 10000).
 */
export interface LoadDataOptions {
  /**
   * Where the dataset's file is: for MNIST-like datasets the `.npz` file or a directory holding it
   * or its four IDX files (gzipped or not); for CIFAR the `.tar.gz` archive or the extracted
   * folder; for imdb and bostonHousing the `.npz` (getWordIndex: the `.json`). When given, nothing
   * else is searched, downloaded or checksummed.
   */
  path?: string;
  /**
   * The cache searched first and where downloads go. Default: `$KILN_HOME/datasets` when
   * `KILN_HOME` is set, else `~/.kiln/datasets` (Keras uses `~/.keras/datasets`).
   */
  cacheDir?: string;
}

/** The four IDX files of an MNIST-like dataset: canonical names, or paths once located. */
export interface IdxFileSet {
  xTrain: string;
  yTrain: string;
  xTest: string;
  yTest: string;
}

/** Everything needed to find, download and explain one dataset's files. */
export interface DatasetSource {
  /** The name in messages: 'MNIST'. */
  title: string;
  /** The folder under the cache and under each system data folder: 'mnist'. */
  folder: string;
  /** The `.npz` name searched for: 'mnist.npz'. */
  npzName: string;
  /** The canonical (gzipped) names of the four IDX files. */
  idxFiles: IdxFileSet;
  /** What a download fetches, and into which folder of the cache ('' for the cache itself). */
  download: { folder: string; files: RemoteFile[] };
  /** The Debian package that installs the dataset under /usr/share/datasets, if any. */
  debianPackage?: string;
}

export type LocatedDataset = { format: 'npz'; path: string } | { format: 'idx'; paths: IdxFileSet };

/** The files are mirrored where Keras downloads them from. */
const DEFAULT_BASE_URL = 'https://storage.googleapis.com/tensorflow/tf-keras-datasets/';

/** The cache folder `options` select. */
export function datasetsCacheDir(cacheDir?: string): string {
  if (cacheDir) return resolve(cacheDir);
  if (process.env.KILN_HOME) return resolve(process.env.KILN_HOME, 'datasets');
  return join(homedir(), '.kiln', 'datasets');
}

/** Folders searched after the cache: `KILN_DATASETS_SYSTEM_DIRS` (empty: none), else Debian's. */
function systemDataDirs(): string[] {
  const fromEnv = process.env.KILN_DATASETS_SYSTEM_DIRS;
  if (fromEnv === undefined) return ['/usr/share/datasets'];
  return fromEnv.split(delimiter).filter((dir) => dir !== '');
}

export function baseUrl(): string {
  const base = process.env.KILN_DATASETS_BASE_URL || DEFAULT_BASE_URL;
  return base.endsWith('/') ? base : `${base}/`;
}

/**
 * Finds a dataset's files: at `options.path` if given; else in the cache, the system data
 * folders, and finally by downloading into the cache. Throws a FileFormatError saying where to
 * put the files when none of that works.
 */
export async function locateDataset(source: DatasetSource, options: LoadDataOptions = {}): Promise<LocatedDataset> {
  if (options.path !== undefined) return locateAtPath(source, resolve(options.path));

  const cache = datasetsCacheDir(options.cacheDir);
  const searched: string[] = [];
  const cachedNpz = join(cache, source.npzName);
  searched.push(cachedNpz);
  if (await isFile(cachedNpz)) return { format: 'npz', path: cachedNpz };
  for (const dir of [join(cache, source.folder), ...systemDataDirs().map((root) => join(root, source.folder))]) {
    searched.push(dir);
    const found = await findInDirectory(source, dir);
    if (found.located) return found.located;
  }

  const downloadDir = join(cache, source.download.folder);
  try {
    for (const file of source.download.files) {
      const destination = join(downloadDir, file.name);
      if (!(await isFile(destination))) await downloadFile(baseUrl() + file.name, destination, file);
    }
  } catch (error) {
    throw new FileFormatError(missingDatasetMessage(source, cache, searched, (error as Error).message));
  }
  const downloaded = await findInDirectory(source, downloadDir);
  if (downloaded.located) return downloaded.located;
  throw new FileFormatError(missingDatasetMessage(source, cache, searched, 'the downloaded files were not found afterwards'));
}

async function locateAtPath(source: DatasetSource, path: string): Promise<LocatedDataset> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch {
    throw new FileFormatError(`${source.title}: the path ${path} does not exist`);
  }
  if (info.isFile()) {
    if (/\.npz$/i.test(path)) return { format: 'npz', path };
    throw new FileFormatError(
      `${source.title}: the path ${path} is a file that is not an .npz archive; to load IDX files, pass the ` + `directory holding all four (${Object.values(source.idxFiles).join(', ')})`,
    );
  }
  const found = await findInDirectory(source, path);
  if (found.located) return found.located;
  const missing = found.missing.length < 4 ? `it has ${found.present.join(', ')} but not ${found.missing.join(', ')}` : 'it has none of them';
  throw new FileFormatError(`${source.title}: the directory ${path} must hold ${source.npzName} or the four IDX files ` + `${Object.values(source.idxFiles).join(', ')} (gzipped or not); ${missing}`);
}

interface DirectorySearch {
  located?: LocatedDataset;
  present: string[];
  missing: string[];
}

async function findInDirectory(source: DatasetSource, dir: string): Promise<DirectorySearch> {
  const npz = join(dir, source.npzName);
  if (await isFile(npz)) return { located: { format: 'npz', path: npz }, present: [], missing: [] };
  const paths: Partial<IdxFileSet> = {};
  const present: string[] = [];
  const missing: string[] = [];
  for (const [role, name] of Object.entries(source.idxFiles) as [keyof IdxFileSet, string][]) {
    const found = await firstFile(idxNameVariants(name).map((variant) => join(dir, variant)));
    if (found) {
      paths[role] = found;
      present.push(basename(found));
    } else {
      missing.push(name);
    }
  }
  if (missing.length > 0) return { present, missing };
  return { located: { format: 'idx', paths: paths as IdxFileSet }, present, missing };
}

/** train-images-idx3-ubyte.gz may also be there unzipped, or named train-images.idx3-ubyte. */
function idxNameVariants(canonical: string): string[] {
  const stem = canonical.replace(/\.gz$/, '');
  const dotted = stem.replace(/-(idx\d)/, '.$1');
  return [`${stem}.gz`, stem, `${dotted}.gz`, dotted];
}

async function firstFile(paths: string[]): Promise<string | undefined> {
  for (const path of paths) if (await isFile(path)) return path;
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function missingDatasetMessage(source: DatasetSource, cache: string, searched: string[], reason: string): string {
  const downloadDir = join(cache, source.download.folder);
  const files = source.download.files;
  const lines = [
    `Cannot load the ${source.title} dataset: no local copy was found and the download failed (${reason}).`,
    `Searched: ${searched.join(', ')}.`,
    'To use it offline, either:',
    files.length === 1
      ? `  - put ${files[0].name} (SHA-256 ${files[0].hash}) at ${join(downloadDir, files[0].name)}` + ` (download it from ${baseUrl()}${files[0].name}),`
      : `  - put the files ${files.map((file) => file.name).join(', ')} in ${downloadDir}${downloadDir.endsWith('/') ? '' : '/'}` + ` (download them from ${baseUrl()}<name>),`,
  ];
  if (files.length === 1) {
    lines.push(`  - or put the four IDX files ${Object.values(source.idxFiles).join(', ')} in ${join(cache, source.folder)}/,`);
  }
  if (source.debianPackage) {
    lines.push(`  - or install the Debian package: apt-get install ${source.debianPackage}` + ` (it puts them in /usr/share/datasets/${source.folder}),`);
  }
  lines.push(
    `  - or pass their location: loadData({ path: '/where/they/are' }) (a directory with those files` + `${files.length === 1 ? `, or the ${source.npzName} file itself` : ''}),`,
    `  - or choose another cache with loadData({ cacheDir }) or the KILN_HOME environment variable.`,
  );
  return lines.join('\n');
}
