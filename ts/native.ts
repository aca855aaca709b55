// Loads the napi-rs addon (the generated CommonJS loader picks the per-platform package) and
// turns its errors into kiln-nn's typed errors.
import { createRequire } from 'node:module';
import type * as NativeModule from '../native.cjs';
import { KilnError, RuntimeError, ShapeError, ValueError } from './errors.js';

const require = createRequire(import.meta.url);
export const native: typeof NativeModule = require('../native.cjs');

const errorClasses: Record<string, new (message: string) => KilnError> = {
  ShapeError,
  ValueError,
  RuntimeError,
};

/** Rethrows a native error ("ShapeError: ...") as the matching KilnError subclass. */
export function translateError(error: unknown): unknown {
  if (error instanceof KilnError || !(error instanceof Error)) return error;
  const match = /^(\w+Error): ([\s\S]*)$/.exec(error.message);
  if (match && errorClasses[match[1]]) return new errorClasses[match[1]](match[2]);
  return error;
}

export function callNative<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw translateError(error);
  }
}

/** Starts native async work; errors thrown at the start or on completion become KilnErrors. */
export async function awaitNative<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    throw translateError(error);
  }
}
