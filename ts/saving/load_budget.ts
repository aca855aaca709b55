// What a file may make kiln allocate, relative to what it holds: while a model is built from a
// saved config, the weights its layers create may not exceed what the file's weights could
// decode to. A 15 KB .keras declaring an input of [null, 1e9] is refused before a 12 GB kernel
// is drawn at random.
import { FileFormatError } from '../errors.js';

interface Budget {
  file: string;
  /** Bytes still allowed. */
  remaining: number;
  /** Bytes allowed in all. */
  total: number;
}

let current: Budget | undefined;

/** Runs `build` (synchronous) allowing its new weights `bytes` bytes in all; `file` names the source in errors. */
export function withLoadBudget<T>(file: string, bytes: number, build: () => T): T {
  const outer = current;
  current = { file, remaining: bytes, total: bytes };
  try {
    return build();
  } finally {
    current = outer;
  }
}

/** Charges a new float32 weight of `shape` to the budget of the file being loaded, if any. */
export function chargeWeight(shape: readonly number[], name: string): void {
  if (!current) return;
  const bytes = shape.reduce((a, b) => a * b, 1) * 4;
  current.remaining -= bytes;
  if (current.remaining < 0) {
    throw new FileFormatError(`${current.file}: its config makes weight '${name}' of shape [${shape.join(', ')}] (${bytes} bytes), beyond the ${current.total} bytes its weights file can hold`);
  }
}
