// Loads the napi-rs addon (the generated CommonJS loader picks the per-platform package) and
// turns its errors into kiln-nn's typed errors.
import { createRequire } from 'node:module';
import type * as NativeModule from '../native.cjs';
import { KilnError, kilnErrorFromCode, ResourceExhaustedError, ValueError } from './errors.js';

const require = createRequire(import.meta.url);
export const native: typeof NativeModule = require('../native.cjs');

/** napi-rs's message for an argument of the wrong JavaScript type, e.g. "Failed to convert napi value String into rust type `f64`". */
const NAPI_CONVERSION = /^Failed to convert (?:napi value )?(\w+)(?: into rust type `([^`]+)`)?/;

const RUST_TYPE_NAMES: Record<string, string> = { f64: 'a number', f32: 'a number', u32: 'a number', i32: 'a number', i64: 'a number', bool: 'a boolean', String: 'a string' };

/** Rethrows a native error as the KilnError subclass its `code` names (the message is read, never parsed). */
export function translateError(error: unknown): unknown {
  if (error instanceof KilnError || !(error instanceof Error)) return error;
  const kilnError = kilnErrorFromCode((error as { code?: unknown }).code, error.message);
  if (kilnError) return kilnError;
  // A raw napi conversion message names Rust types: say what JavaScript value was expected.
  const conversion = NAPI_CONVERSION.exec(error.message);
  if (conversion) {
    const expected = RUST_TYPE_NAMES[conversion[2] ?? ''] ?? 'a value of another type';
    return new ValueError(`An argument has the wrong type: expected ${expected}, got a ${conversion[1].toLowerCase()} value`);
  }
  // V8 could not allocate a buffer: the same condition as a native allocation failure.
  if (error instanceof RangeError && /allocation failed|Invalid typed array length|Invalid array length/.test(error.message)) {
    return new ResourceExhaustedError(`Cannot allocate the buffer: ${error.message}`);
  }
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

// A KILN_NUM_THREADS that is not a positive integer is refused when kiln-nn loads, not
// silently replaced by the default.
callNative(() => native.checkThreadSetting());
