// An HDF5 file read whole into plain JavaScript values. The load worker makes it (h5wasm runs
// there, so its WebAssembly heap goes away with the worker); the loaders read it on the main
// thread through the same H5Reader interface as a file. Errors met while reading one dataset or
// attribute are kept and thrown when that one is asked for, as a direct read would.
import { FileFormatError } from '../errors.js';
import type { AttributeValue, H5FileReader, H5Reader } from './h5_file.js';

type Kept<T> = { value: T } | { error: string };

/** The structured-clone form of a snapshot. */
export interface H5Tree {
  what: string;
  /** Group paths (no leading slash; '' is the root) and their member names. */
  groups: Record<string, string[]>;
  datasets: Record<string, Kept<{ shape: number[]; values: Float32Array }>>;
  attributes: Record<string, Record<string, Kept<AttributeValue>>>;
}

/** Deeper paths or more objects than any model file has mean groups linked into themselves. */
const MAX_DEPTH = 64;
const MAX_OBJECTS = 200_000;

function normal(path: string): string {
  return path.split('/').filter(Boolean).join('/');
}

function keep<T>(read: () => T): Kept<T> {
  try {
    return { value: read() };
  } catch (error) {
    if (error instanceof FileFormatError) return { error: error.message };
    throw error;
  }
}

/** Reads every group, attribute and numeric dataset of `reader`; returns the tree and the buffers to transfer. */
export function snapshotH5(reader: H5FileReader): { tree: H5Tree; transfer: ArrayBuffer[] } {
  const tree: H5Tree = { what: reader.what, groups: {}, datasets: {}, attributes: {} };
  const transfer = new Set<ArrayBuffer>();
  let objects = 0;
  const visit = (path: string, depth: number): void => {
    if (++objects > MAX_OBJECTS || depth > MAX_DEPTH) {
      throw new FileFormatError(`${reader.what}: more than ${MAX_OBJECTS} objects or ${MAX_DEPTH} levels of groups (a group linked into itself?)`);
    }
    const kind = reader.kind(path === '' ? '/' : path);
    if (!kind) return;
    const attributes: Record<string, Kept<AttributeValue>> = {};
    for (const name of reader.attributeNames(path === '' ? '/' : path)) {
      attributes[name] = keep(() => reader.attribute(path === '' ? '/' : path, name) as AttributeValue);
    }
    tree.attributes[path] = attributes;
    if (kind === 'dataset') {
      const tensor = keep(() => reader.readTensor(path));
      if ('value' in tensor) transfer.add(tensor.value.values.buffer as ArrayBuffer);
      tree.datasets[path] = tensor;
      return;
    }
    const members = reader.keys(path === '' ? '/' : path);
    tree.groups[path] = members;
    for (const member of members) visit(path === '' ? member : `${path}/${member}`, depth + 1);
  };
  visit('', 0);
  return { tree, transfer: [...transfer] };
}

/** A snapshot read like an open file. */
export class H5Snapshot implements H5Reader {
  readonly what: string;
  constructor(private readonly tree: H5Tree) {
    this.what = tree.what;
  }

  has(path: string): boolean {
    const key = normal(path);
    return key in this.tree.groups || key in this.tree.datasets;
  }

  keys(path: string): string[] {
    return [...(this.tree.groups[normal(path)] ?? [])];
  }

  attribute(path: string, name: string): AttributeValue | undefined {
    const attributes = this.tree.attributes[normal(path)];
    if (!attributes || !Object.hasOwn(attributes, name)) return undefined;
    const kept = attributes[name];
    if ('error' in kept) throw new FileFormatError(kept.error);
    return kept.value;
  }

  readTensor(path: string): { shape: number[]; values: Float32Array } {
    const key = normal(path);
    const kept = this.tree.datasets[key];
    if (!kept) throw new FileFormatError(`${this.what}: '${path}' is missing or is not a dataset`);
    if ('error' in kept) throw new FileFormatError(kept.error);
    return kept.value;
  }

  close(): void {
    // Nothing is open: the file was read and closed in the worker.
  }
}
