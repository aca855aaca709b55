/** Base class of every error kiln-nn throws on bad input. */
export class KilnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
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
