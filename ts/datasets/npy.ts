import { endianness } from 'node:os';
import { FileFormatError } from '../errors.js';
import { isPickledArray, readPickle, type PickleValue } from './pickle.js';

/** Element types kiln reads from `.npy` data, named as numpy names them. */
export type NpyDtype = 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';

export type NpyData = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** A numeric array read from a `.npy` file, in C order; `data` owns exactly its elements. */
export interface NpyNumericArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

/** An object array (numpy pickles these: imdb.npz's lists of word indices), items in C order. */
export interface NpyObjectArray {
  dtype: 'object';
  shape: number[];
  items: PickleValue[];
}

export type NpyArray = NpyNumericArray | NpyObjectArray;

type TypedArrayConstructor = new (buffer: ArrayBuffer) => NpyData;

const KINDS: Record<string, { dtype: NpyDtype; create: TypedArrayConstructor }> = {
  b1: { dtype: 'bool', create: Uint8Array },
  i1: { dtype: 'int8', create: Int8Array },
  u1: { dtype: 'uint8', create: Uint8Array },
  i2: { dtype: 'int16', create: Int16Array },
  u2: { dtype: 'uint16', create: Uint16Array },
  i4: { dtype: 'int32', create: Int32Array },
  u4: { dtype: 'uint32', create: Uint32Array },
  i8: { dtype: 'int64', create: BigInt64Array },
  u8: { dtype: 'uint64', create: BigUint64Array },
  f4: { dtype: 'float32', create: Float32Array },
  f8: { dtype: 'float64', create: Float64Array },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Parses the bytes of one `.npy` array (format versions 1, 2 and 3). `name` names the array in
 * errors (for an `.npz` member: "mnist.npz: x_train.npy").
 */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const fail = (what: string) => new FileFormatError(`${name} is not a valid .npy array: ${what}`);

  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw fail('it does not start with the magic string "\\x93NUMPY"');
  }
  const major = bytes[6];
  if (major < 1 || major > 3) throw fail(`format version ${major}.${bytes[7]} is not supported (1, 2 or 3 are)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthFieldSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthFieldSize) throw fail('it is truncated inside the header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthFieldSize;
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    throw fail(`it is truncated: the header declares ${headerLength} bytes, ${bytes.length - headerStart} are left`);
  }
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  let header: PythonValue;
  try {
    header = parsePythonLiteral(headerText);
  } catch (error) {
    throw fail(`its header ${JSON.stringify(headerText.trim())} cannot be read: ${(error as Error).message}`);
  }
  if (!(header instanceof Map)) throw fail('its header is not a dictionary');
  const descr = header.get('descr');
  const fortranOrder = header.get('fortran_order');
  const shapeValue = header.get('shape');
  if (typeof descr !== 'string') {
    throw fail(`its dtype ${JSON.stringify(descr)} is not supported: structured arrays cannot be read`);
  }
  if (typeof fortranOrder !== 'boolean') throw fail('its header has no boolean "fortran_order"');
  if (!Array.isArray(shapeValue) || !shapeValue.every((dim) => typeof dim === 'number')) {
    throw fail('its header has no "shape" tuple of integers');
  }
  const shape = shapeValue as number[];
  if (/^[<>|=]?O\d*$/.test(descr)) return parseObjectArray(bytes.subarray(dataStart), shape, name);

  const match = /^([<>|=]?)([biuf])(\d+)$/.exec(descr);
  const kind = match ? KINDS[match[2] + match[3]] : undefined;
  if (!match || !kind) {
    throw fail(`dtype '${descr}' is not supported (bool, int8..int64, uint8..uint64, float32, float64 are)`);
  }
  const itemSize = Number(match[3]);
  const fileIsLittleEndian = match[1] === '<' || (match[1] !== '>' && HOST_IS_LITTLE_ENDIAN);

  const dataLength = bytes.length - dataStart;
  // Multiply step by step so a hostile shape is rejected before any allocation.
  let size = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) throw fail(`shape (${shape.join(', ')}) has an invalid dimension ${dim}`);
    size *= dim;
    if (size * itemSize > dataLength) {
      throw fail(`it is truncated: shape (${shape.join(', ')}) of ${kind.dtype} needs more than the ${dataLength} bytes of data present`);
    }
  }
  if (size * itemSize !== dataLength) {
    throw fail(`shape (${shape.join(', ')}) of ${kind.dtype} needs ${size * itemSize} bytes of data, found ${dataLength}`);
  }
  if (fortranOrder && shape.filter((dim) => dim > 1).length > 1) {
    throw fail('it is stored in Fortran order, which kiln does not read; save it with numpy.ascontiguousarray');
  }

  // new Uint8Array(view) copies (Buffer#slice would not), giving a buffer of exactly the data.
  const copy = new Uint8Array(bytes.subarray(dataStart));
  if (itemSize > 1 && fileIsLittleEndian !== HOST_IS_LITTLE_ENDIAN) swapBytes(copy, itemSize);
  return { dtype: kind.dtype, shape, data: new kind.create(copy.buffer) };
}

function swapBytes(bytes: Uint8Array, itemSize: number): void {
  for (let start = 0; start < bytes.length; start += itemSize) {
    bytes.subarray(start, start + itemSize).reverse();
  }
}

/** The values a `.npy` header holds: a dict of strings, booleans, integers and tuples. */
type PythonValue = string | number | boolean | null | PythonValue[] | Map<string, PythonValue>;

/** Parses the Python literal subset numpy writes in `.npy` headers. */
function parsePythonLiteral(text: string): PythonValue {
  const tokens = text.match(/'[^']*'|"[^"]*"|-?\d+L?|[A-Za-z_]\w*|[{}()[\]:,]|\S/g) ?? [];
  let position = 0;
  const next = (): string => {
    if (position >= tokens.length) throw new Error('unexpected end');
    return tokens[position++];
  };
  const expect = (token: string) => {
    const got = next();
    if (got !== token) throw new Error(`expected "${token}", got "${got}"`);
  };
  // Reads items up to `close`, allowing a trailing comma as Python does.
  const sequence = (close: string, item: () => void) => {
    while (tokens[position] !== close) {
      item();
      if (tokens[position] === ',') position++;
      else if (tokens[position] !== close) throw new Error(`expected "," or "${close}", got "${tokens[position] ?? 'end'}"`);
    }
    position++;
  };
  const value = (): PythonValue => {
    const token = next();
    if (token === '{') {
      const dict = new Map<string, PythonValue>();
      sequence('}', () => {
        const key = value();
        if (typeof key !== 'string') throw new Error('a dictionary key is not a string');
        expect(':');
        dict.set(key, value());
      });
      return dict;
    }
    if (token === '(' || token === '[') {
      const items: PythonValue[] = [];
      sequence(token === '(' ? ')' : ']', () => items.push(value()));
      return items;
    }
    if (token.startsWith("'") || token.startsWith('"')) return token.slice(1, -1);
    if (token === 'True' || token === 'False') return token === 'True';
    if (token === 'None') return null;
    if (/^-?\d+L?$/.test(token)) return Number(token.replace('L', ''));
    throw new Error(`unexpected "${token}"`);
  };
  const result = value();
  if (position !== tokens.length) throw new Error(`unexpected "${tokens[position]}" after the end`);
  return result;
}

/** Object arrays are stored as a pickled numpy array; only numpy arrays may be rebuilt from it. */
function parseObjectArray(pickled: Uint8Array, shape: number[], name: string): NpyObjectArray {
  const array = readPickle(pickled, name);
  if (!isPickledArray(array) || !Array.isArray(array.data)) {
    throw new FileFormatError(`${name} is not a valid .npy array: its object data does not unpickle to a numpy object array`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (array.data.length !== size) {
    throw new FileFormatError(`${name} is not a valid .npy array: its header declares shape (${shape.join(', ')}) but it holds ${array.data.length} objects`);
  }
  return { dtype: 'object', shape, items: array.data };
}
