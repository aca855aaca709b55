/** Base class of every error kiln-nn throws on bad input. */
export class KilnError extends Error {
  /**
   * The kind of error, the same as the class name (`'ShapeError'`, ...): what a program tests
   * rather than the message. Errors from the native engine cross into TypeScript by it.
   */
  readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
    this.code = new.target.name;
  }
}

/** A tensor or layer input has the wrong shape or rank. */
export class ShapeError extends KilnError {}

/** An argument has a wrong value: an unknown name, a number out of range, NaN in data. */
export class ValueError extends KilnError {}

/** A file is missing, truncated, corrupted or not in the expected format. */
export class FileFormatError extends KilnError {}

/** The model is used in a way its state does not allow (fit before compile, ...). */
export class RuntimeError extends KilnError {}

/** A tensor or buffer is larger than the machine can hold (TensorFlow's ResourceExhaustedError). */
export class ResourceExhaustedError extends KilnError {}

/** Each class by its code; the native engine's codes are kiln-core's `ErrorKind::as_code`. */
const CLASSES_BY_CODE = new Map<string, new (message: string) => KilnError>(
  [KilnError, ShapeError, ValueError, FileFormatError, RuntimeError, ResourceExhaustedError].map((errorClass) => [errorClass.name, errorClass]),
);

/** @internal The KilnError a code names, with `message`; undefined for a code kiln does not use. */
export function kilnErrorFromCode(code: unknown, message: string): KilnError | undefined {
  const errorClass = typeof code === 'string' ? CLASSES_BY_CODE.get(code) : undefined;
  return errorClass && new errorClass(message);
}
