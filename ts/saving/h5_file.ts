// HDF5 files through h5wasm (HDF5 compiled to WebAssembly: no native build). Reading checks
// every declared size against the file's own size before anything is allocated, and turns
// HDF5's errors into FileFormatErrors that name the file.
import * as fs from 'node:fs';
import h5wasm from 'h5wasm/node';
import { FileFormatError } from '../errors.js';
import { regularFileSize } from './regular_file.js';

type H5 = typeof h5wasm;
type Group = InstanceType<H5['Group']>;
type Dataset = InstanceType<H5['Dataset']>;

let loaded: Promise<H5> | undefined;

/** The h5wasm module, with HDF5's errors thrown (instead of printed) once it is ready. */
async function h5(): Promise<H5> {
  loaded ??= h5wasm.ready.then((module) => {
    module.activate_throwing_error_handler();
    return h5wasm;
  });
  return loaded;
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;

/**
 * HDF5's error stack in one line: the innermost frame's description (where the cause is named,
 * e.g. "truncated file: eof = 10964, ...") with its minor code; the rest is HDF5's call stack.
 */
export function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const frames = [...text.matchAll(/#\d+: .*? in [\w.]+\(\): (.*)\n\s*major: .*\n\s*minor: (.*)/g)];
  const innermost = frames[frames.length - 1];
  const line = innermost ? `${innermost[1].trim()} (${innermost[2].trim()})` : (text.split('\n').find((l) => l.trim()) ?? text);
  return line.trim().slice(0, 300);
}

/** An HDF5 value as a plain number list or string(s), for attributes. */
export type AttributeValue = string | number | (string | number)[];

/** Deflate expands at most about 1032:1: a dataset declaring more than this ratio lies. */
export const MAX_COMPRESSION_RATIO = 1100;

/** Read access to an HDF5 file's groups, attributes and numeric datasets. */
export interface H5Reader {
  /** How the file is named in errors. */
  readonly what: string;
  has(path: string): boolean;
  /** Names inside the group at `path` (none when there is no such group). */
  keys(path: string): string[];
  attribute(path: string, name: string): AttributeValue | undefined;
  readTensor(path: string): { shape: number[]; values: Float32Array };
  close(): void;
}

/** An HDF5 file read through h5wasm: only inside the load worker (its WebAssembly heap never shrinks). */
export class H5FileReader implements H5Reader {
  private constructor(
    private readonly file: InstanceType<H5['File']>,
    private readonly module: H5,
    /** How the file is named in errors. */
    readonly what: string,
    private readonly size: number,
  ) {}

  static async open(path: string, what: string): Promise<H5FileReader> {
    const module = await h5();
    let size: number;
    try {
      size = regularFileSize(path);
    } catch (error) {
      if (!fs.existsSync(path)) throw new FileFormatError(`${what}: no such file`);
      throw new FileFormatError(`${what}: ${(error as Error).message}`);
    }
    const head = Buffer.alloc(8);
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      fs.readSync(fd, head, 0, 8, 0);
    } finally {
      fs.closeSync(fd);
    }
    if (size === 0) throw new FileFormatError(`${what} is empty (0 bytes)`);
    if (!head.equals(SIGNATURE)) throw new FileFormatError(`${what} is not an HDF5 file: it does not start with HDF5's signature`);
    try {
      return new H5FileReader(new module.File(path, 'r'), module, what, size);
    } catch (error) {
      throw new FileFormatError(`${what} cannot be read as HDF5 (truncated or corrupted?): ${reason(error)}`);
    }
  }

  private entity(path: string): Group | Dataset | null {
    try {
      return this.file.get(path) as Group | Dataset | null;
    } catch (error) {
      throw new FileFormatError(`${this.what}: cannot read '${path}' (corrupted?): ${reason(error)}`);
    }
  }

  has(path: string): boolean {
    return this.entity(path) !== null;
  }

  /** Whether `path` is a group, a dataset, or neither (missing, or a link that leads nowhere). */
  kind(path: string): 'group' | 'dataset' | undefined {
    const entity = this.entity(path);
    if (entity instanceof this.module.Group) return 'group';
    if (entity instanceof this.module.Dataset) return 'dataset';
    return undefined;
  }

  /** The names of the attributes of `path`. */
  attributeNames(path: string): string[] {
    const owner = this.entity(path);
    if (!owner) return [];
    try {
      return Object.keys(owner.attrs);
    } catch (error) {
      throw new FileFormatError(`${this.what}: cannot list the attributes of '${path}' (corrupted?): ${reason(error)}`);
    }
  }

  keys(path: string): string[] {
    const group = this.entity(path);
    if (!(group instanceof this.module.Group)) return [];
    try {
      return group.keys();
    } catch (error) {
      throw new FileFormatError(`${this.what}: cannot list '${path}' (corrupted?): ${reason(error)}`);
    }
  }

  attribute(path: string, name: string): AttributeValue | undefined {
    const owner = this.entity(path);
    if (!owner) return undefined;
    try {
      if (!(name in owner.attrs)) return undefined;
      const value = owner.attrs[name].json_value;
      return value as AttributeValue;
    } catch (error) {
      throw new FileFormatError(`${this.what}: cannot read attribute '${name}' of '${path}': ${reason(error)}`);
    }
  }

  /** Datasets read so far, by path: a file naming one dataset many times is read once. */
  private readonly tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  /** Bytes decoded so far: at most what the file can hold (compressed data at deflate's largest ratio), however often datasets are reached through links. */
  private decodedBytes = 0;

  readTensor(path: string): { shape: number[]; values: Float32Array } {
    const known = this.tensors.get(path);
    if (known) return known;
    const tensor = this.decodeTensor(path);
    this.tensors.set(path, tensor);
    return tensor;
  }

  private decodeTensor(path: string): { shape: number[]; values: Float32Array } {
    const dataset = this.entity(path);
    if (!(dataset instanceof this.module.Dataset)) throw new FileFormatError(`${this.what}: '${path}' is missing or is not a dataset`);
    try {
      const meta = dataset.metadata;
      const shape = meta.shape ?? [];
      if (meta.type !== H5T_FLOAT && meta.type !== H5T_INTEGER) throw new FileFormatError(`${this.what}: '${path}' holds non-numeric data`);
      const count = shape.reduce((a, b) => a * b, 1);
      // Uncompressed data is stored in full, so the file must be at least that big.
      const compressed = dataset.filters.length > 0;
      if (count * meta.size > this.size * (compressed ? MAX_COMPRESSION_RATIO : 1)) {
        throw new FileFormatError(`${this.what}: '${path}' declares shape [${shape.join(', ')}] (${count * meta.size} bytes), more than the ${this.size}-byte file can hold`);
      }
      this.decodedBytes += count * meta.size;
      if (this.decodedBytes > this.size * MAX_COMPRESSION_RATIO) {
        throw new FileFormatError(
          `${this.what}: its datasets decode to more than ${this.size * MAX_COMPRESSION_RATIO} bytes, more than the ${this.size}-byte file can hold (one dataset linked many times?)`,
        );
      }
      const raw = dataset.value;
      const values = new Float32Array(count);
      if (ArrayBuffer.isView(raw) && (raw as unknown as ArrayLike<number | bigint>).length === count) {
        const list = raw as unknown as ArrayLike<number | bigint>;
        for (let i = 0; i < count; i++) values[i] = Number(list[i]);
      } else if (count === 1 && (typeof raw === 'number' || typeof raw === 'bigint')) {
        values[0] = Number(raw);
      } else {
        throw new FileFormatError(`${this.what}: '${path}' has ${describeRaw(raw)} where ${count} numbers were declared`);
      }
      return { shape, values };
    } catch (error) {
      if (error instanceof FileFormatError) throw error;
      throw new FileFormatError(`${this.what}: cannot read '${path}' (truncated or corrupted?): ${reason(error)}`);
    }
  }

  close(): void {
    try {
      this.file.close();
    } catch {
      // A file that failed to read may fail to close; nothing is left to release.
    }
  }
}

function describeRaw(raw: unknown): string {
  if (ArrayBuffer.isView(raw)) return `${(raw as unknown as ArrayLike<unknown>).length} values`;
  return typeof raw;
}

export class H5Writer {
  private constructor(
    private readonly file: InstanceType<H5['File']>,
    private readonly module: H5,
    private readonly path: string,
  ) {}

  static async create(path: string): Promise<H5Writer> {
    const module = await h5();
    try {
      return new H5Writer(new module.File(path, 'w'), module, path);
    } catch (error) {
      throw new FileFormatError(`Cannot create the HDF5 file ${path}: ${reason(error)}`);
    }
  }

  /** Runs one HDF5 call, its multi-line diagnostics turned into a one-line FileFormatError. */
  private write<T>(what: string, call: () => T): T {
    try {
      return call();
    } catch (error) {
      throw new FileFormatError(`Cannot write ${what} to the HDF5 file ${this.path}: ${reason(error)}`);
    }
  }

  /** The group at `path`, creating it and its parents as needed. */
  group(path: string): Group {
    return this.write(`group '${path}'`, () => {
      let group: Group = this.file;
      for (const part of path.split('/').filter(Boolean)) {
        const existing = group.get(part);
        group = existing instanceof this.module.Group ? existing : group.create_group(part);
      }
      return group;
    });
  }

  setAttribute(path: string, name: string, value: string | string[] | number): void {
    const group = this.group(path);
    this.write(`attribute '${name}' of '${path}'`, () => group.create_attribute(name, value));
  }

  writeTensor(groupPath: string, name: string, values: Float32Array, shape: number[]): void {
    const group = this.group(groupPath);
    this.write(`dataset '${groupPath}/${name}'`, () => group.create_dataset({ name, data: values, shape, dtype: '<f' }));
  }

  /** A scalar int64 (Keras' `iteration`). */
  writeInteger(groupPath: string, name: string, value: number): void {
    const group = this.group(groupPath);
    this.write(`dataset '${groupPath}/${name}'`, () => group.create_dataset({ name, data: BigInt64Array.of(BigInt(value)), shape: [], dtype: '<q' }));
  }

  close(): void {
    this.write('the end of the file', () => this.file.close());
  }
}
