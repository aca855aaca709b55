// Runs model-file reading in a worker thread (load_worker.ts) that lives for one load: the event
// loop stays free while big files inflate and decode, and terminating the worker returns the
// memory HDF5's WebAssembly heap took.
import { Worker } from 'node:worker_threads';
import { FileFormatError, kilnErrorFromCode, ResourceExhaustedError, RuntimeError } from '../errors.js';
import { H5Snapshot, type H5Tree } from './h5_snapshot.js';
import type { LoadReply, LoadRequest } from './load_worker.js';
import { regularFileSize } from './regular_file.js';

/**
 * How long reading may take before the worker is stopped: generous for honest files (HDF5
 * decodes well over 10 MB a second), finite for a corrupted one that sends HDF5 into a loop.
 */
export function readingTimeLimitMs(fileBytes: number): number {
  return 10_000 + Math.ceil(fileBytes / 2 ** 20) * 1000;
}

export class LoadWorker {
  constructor(
    private readonly file: string,
    private readonly timeLimitMs: number,
  ) {}

  // No flags: workers refuse per-process ones (--input-type, --expose-gc), and reading needs none.
  private readonly worker = new Worker(new URL('./load_worker.js', import.meta.url), { execArgv: [] });
  private pending: Promise<unknown> = Promise.resolve();

  private request(message: LoadRequest, transfer: ArrayBuffer[] = []): Promise<unknown> {
    const run = () =>
      new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          void this.worker.terminate();
          reject(new FileFormatError(`${this.file}: reading it took longer than ${this.timeLimitMs / 1000} s and was stopped (a corrupted file that sends HDF5 into a loop?)`));
        }, this.timeLimitMs);
        const onMessage = (reply: LoadReply) => {
          cleanup();
          if (reply.ok) resolve(reply.result);
          else reject(kilnErrorFromCode(reply.error.code, reply.error.message) ?? new RuntimeError(`Reading the model file failed: ${reply.error.name}: ${reply.error.message}`));
        };
        const onError = (error: unknown) => {
          cleanup();
          const outOfMemory = (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
          const text = error instanceof Error ? error.message : String(error);
          reject(outOfMemory ? new ResourceExhaustedError(`Reading the model file ran out of memory: ${text}`) : new RuntimeError(`Reading the model file failed: ${text}`));
        };
        const onExit = (code: number) => onError(new Error(`the reading thread exited with code ${code}`));
        const cleanup = () => {
          clearTimeout(timer);
          this.worker.off('message', onMessage);
          this.worker.off('error', onError);
          this.worker.off('exit', onExit);
        };
        this.worker.on('message', onMessage);
        this.worker.on('error', onError);
        this.worker.on('exit', onExit);
        this.worker.postMessage(message, transfer);
      });
    const result = this.pending.then(run, run);
    this.pending = result.catch(() => undefined);
    return result;
  }

  /** The wanted entries of the zip archive `file`, inflated with caps. */
  async unzip(file: string, wanted: Iterable<string>): Promise<Map<string, Uint8Array>> {
    return (await this.request({ op: 'unzip', file, wanted: [...wanted] })) as Map<string, Uint8Array>;
  }

  /** The HDF5 file at `file`, read whole. */
  async readH5File(file: string, what: string): Promise<H5Snapshot> {
    return new H5Snapshot((await this.request({ op: 'h5File', file, what })) as H5Tree);
  }

  /** HDF5 `bytes` (transferred to the worker: do not use them afterwards), read whole. */
  async readH5Bytes(bytes: Uint8Array, what: string): Promise<H5Snapshot> {
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    return new H5Snapshot((await this.request({ op: 'h5Bytes', bytes: own, what }, [own.buffer as ArrayBuffer])) as H5Tree);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * Runs `use` with a fresh load worker, terminated afterwards whatever happens. `file` is checked
 * first to be a regular file, so a device, FIFO or missing path is refused without a thread.
 */
export async function withLoadWorker<T>(file: string, use: (worker: LoadWorker) => Promise<T>): Promise<T> {
  const worker = new LoadWorker(file, readingTimeLimitMs(regularFileSize(file)));
  try {
    return await use(worker);
  } finally {
    await worker.terminate();
  }
}

/** Lets the event loop run between the main-thread steps of a load (building, assigning, restoring), so none blocks it for long. */
export function nextTurn(): Promise<void> {
  // A timer, not setImmediate: an immediate queued from an I/O callback runs before any timer is due.
  return new Promise((resolve) => setTimeout(resolve, 0));
}
