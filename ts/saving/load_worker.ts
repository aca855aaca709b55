// The worker thread that reads model files: zip inflation and HDF5 decoding (h5wasm) run here,
// off the event loop, and the WebAssembly heap HDF5 grows goes away when the loader terminates
// the worker. Each request is answered with its result or with the KilnError it raised.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { KilnError } from '../errors.js';
import type { H5Tree } from './h5_snapshot.js';
import { readRegularFile } from './regular_file.js';
import { temporaryDirectory } from './temporary_directory.js';
import { readZip } from './zip_archive.js';

export type LoadRequest = { op: 'unzip'; file: string; wanted: string[] } | { op: 'h5File'; file: string; what: string } | { op: 'h5Bytes'; bytes: Uint8Array; what: string };

export type LoadReply = { ok: true; result: unknown } | { ok: false; error: { name: string; message: string; code: string | undefined } };

// WebAssembly's own prints (HDF5's diagnostics, "Aborted(...)") would reach the process's stderr;
// every failure already comes back as an error naming the file, so they are dropped here.
console.error = () => {};
console.warn = () => {};

async function readH5(file: string, what: string): Promise<{ tree: H5Tree; transfer: ArrayBuffer[] }> {
  // Loaded on first use: a load refused at the zip stage never compiles HDF5's WebAssembly.
  const { H5FileReader } = await import('./h5_file.js');
  const { snapshotH5 } = await import('./h5_snapshot.js');
  const reader = await H5FileReader.open(file, what);
  try {
    return snapshotH5(reader);
  } finally {
    reader.close();
  }
}

async function handle(request: LoadRequest): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (request.op) {
    case 'unzip': {
      const entries = readZip(readRegularFile(request.file), request.file, new Set(request.wanted));
      return { result: entries, transfer: [...entries.values()].map((b) => b.buffer as ArrayBuffer) };
    }
    case 'h5File': {
      const { tree, transfer } = await readH5(request.file, request.what);
      return { result: tree, transfer };
    }
    case 'h5Bytes': {
      // h5wasm reads by path: the bytes pass through a private temporary file.
      const directory = temporaryDirectory(`reading ${request.what}`);
      try {
        const file = path.join(directory, 'data.h5');
        fs.writeFileSync(file, request.bytes);
        const { tree, transfer } = await readH5(file, request.what);
        return { result: tree, transfer };
      } finally {
        fs.rmSync(directory, { recursive: true, force: true });
      }
    }
  }
}

function fail(error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  parentPort?.postMessage({ ok: false, error: { name: failure.constructor.name, message: failure.message, code: failure instanceof KilnError ? failure.code : undefined } } satisfies LoadReply);
}

parentPort?.on('message', (request: LoadRequest) => {
  handle(request).then(({ result, transfer }) => {
    try {
      parentPort?.postMessage({ ok: true, result } satisfies LoadReply, transfer);
    } catch (error) {
      fail(error);
    }
  }, fail);
});
