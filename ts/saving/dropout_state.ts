// The dropout stream travels with a saved model, in a place Keras ignores (a `kiln` key of a
// .keras file's metadata.json, a root attribute of a legacy .h5 file), so a loaded model with Dropout continues training with the
// masks the saved one would have drawn next.
import { FileFormatError } from '../errors.js';
import type { Model } from '../models/model.js';
import { callNative } from '../native.js';

/** The key of metadata.json that holds kiln's own state. */
export const KILN_METADATA_KEY = 'kiln';
/** The root attribute of a legacy .h5 file that holds the dropout stream. */
export const LEGACY_DROPOUT_ATTRIBUTE = 'kiln_dropout_state';

/** The dropout stream's state of a compiled model (64 hex digits), or undefined before compile. */
export function readDropoutState(model: Model): string | undefined {
  const compiled = model.compiledState();
  if (!compiled) return undefined;
  return callNative(() => compiled.engine().dropoutState());
}

/** Continues a compiled model's dropout stream from `state` (from metadata.json); `what` names the file. */
export function restoreDropoutState(model: Model, metadata: unknown, what: string): void {
  const kiln = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>)[KILN_METADATA_KEY] : undefined;
  if (kiln === undefined) return;
  const state = typeof kiln === 'object' && kiln !== null ? (kiln as Record<string, unknown>).dropout_state : undefined;
  if (typeof state !== 'string' || !/^[0-9a-f]{64}$/.test(state)) {
    throw new FileFormatError(`${what}: metadata.json's "${KILN_METADATA_KEY}.dropout_state" must be 64 hex digits, got ${JSON.stringify(state)?.slice(0, 80)}`);
  }
  const compiled = model.compiledState();
  if (compiled) callNative(() => compiled.engine().setDropoutState(state));
}
