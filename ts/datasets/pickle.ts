// A reader for the subset of Python's pickle format that dataset files use: dicts, lists, tuples,
// numbers, strings, bytes and numpy arrays (CIFAR's batches, the object arrays of imdb.npz).
// Like Keras' RestrictedUnpickler it builds only numpy arrays and refuses every other class, so
// a hostile file cannot make it run anything.
import { FileFormatError } from '../errors.js';

/** A numpy array as a pickle rebuilds it: raw bytes (numbers) or items (object arrays). */
export interface PickledArray {
  kind: 'ndarray';
  /** numpy's type string with byte order: '<u1', '<i8', '|O', ... */
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  /** The element bytes for numeric arrays; the Python items, flattened, for object arrays. */
  data: Uint8Array | PickleValue[];
}

export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | Map<string | number, PickleValue> | PickledArray | PickledObject;

/** Classes and partly built objects, while the pickle program runs. */
type PickledObject = { kind: 'global'; module: string; name: string } | { kind: 'dtype'; base: string; byteOrder: string };

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** The classes and functions a dataset pickle may name, as Keras' RestrictedUnpickler allows. */
const ALLOWED_GLOBALS = new Set([
  'numpy ndarray',
  'numpy dtype',
  'numpy.core.multiarray _reconstruct',
  'numpy._core.multiarray _reconstruct',
  // Python 3 pickles bytes as _codecs.encode(text, 'latin1') at protocol 2, and numpy arrays
  // as _frombuffer(bytes, dtype, shape, order) at protocol 5.
  '_codecs encode',
  'numpy.core.numeric _frombuffer',
  'numpy._core.numeric _frombuffer',
]);

function isObject(value: PickleValue | undefined, kind: string): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Uint8Array) && (value as { kind?: string }).kind === kind;
}

/**
 * Runs a pickle program (protocols 0 to 5, without out-of-band buffers) and returns what it
 * builds. `fileName` names the file in errors. Python 2 `str` values come back as bytes
 * (`encoding='bytes'`, as Keras loads CIFAR), Python 3 `str` as strings.
 */
export function readPickle(bytes: Uint8Array, fileName: string): PickleValue {
  const fail = (what: string, at: number) => new FileFormatError(`${fileName} is not a valid pickle file: ${what} (at byte ${at})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  let at = 0;
  let opcodeAt = 0;

  const need = (count: number) => {
    if (at + count > bytes.length) throw fail(`truncated: ${count} more bytes needed`, opcodeAt);
  };
  const u8 = () => (need(1), bytes[at++]);
  const u16 = () => (need(2), (at += 2), view.getUint16(at - 2, true));
  const u32 = () => (need(4), (at += 4), view.getUint32(at - 4, true));
  const i32 = () => (need(4), (at += 4), view.getInt32(at - 4, true));
  const u64 = () => {
    need(8);
    const value = view.getBigUint64(at, true);
    at += 8;
    if (value > BigInt(bytes.length)) throw fail(`a length of ${value} bytes is larger than the file`, opcodeAt);
    return Number(value);
  };
  const take = (count: number) => (need(count), (at += count), bytes.subarray(at - count, at));
  const line = () => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) throw fail('a text argument has no end of line', opcodeAt);
    const text = latin1.decode(bytes.subarray(at, end));
    at = end + 1;
    return text;
  };
  const pop = (): PickleValue => {
    const value = stack.pop();
    if (value === undefined || value === MARK) throw fail('the stack is empty or at a mark', opcodeAt);
    return value;
  };
  const top = (): PickleValue => {
    const value = stack[stack.length - 1];
    if (value === undefined || value === MARK) throw fail('the stack is empty or at a mark', opcodeAt);
    return value;
  };
  const popToMark = (): PickleValue[] => {
    const mark = stack.lastIndexOf(MARK);
    if (mark < 0) throw fail('no mark on the stack', opcodeAt);
    const items = stack.splice(mark) as PickleValue[];
    return items.slice(1);
  };
  const signedLittleEndian = (data: Uint8Array): number | bigint => {
    if (data.length === 0) return 0;
    let value = 0n;
    for (let i = data.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i]);
    if (data[data.length - 1] & 0x80) value -= 1n << BigInt(8 * data.length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };
  const setItems = (target: PickleValue, items: PickleValue[]) => {
    if (!(target instanceof Map)) throw fail('SETITEM(S) on something that is not a dict', opcodeAt);
    for (let i = 0; i + 1 < items.length; i += 2) target.set(dictKey(items[i]), items[i + 1]);
  };
  const dictKey = (key: PickleValue): string | number => {
    if (typeof key === 'string' || typeof key === 'number') return key;
    if (key instanceof Uint8Array) return utf8.decode(key); // Keras decodes CIFAR's byte keys as UTF-8
    throw fail('a dict key is not a string, bytes or a number', opcodeAt);
  };
  const appendTo = (target: PickleValue, items: PickleValue[]) => {
    if (!Array.isArray(target)) throw fail('APPEND(S) on something that is not a list', opcodeAt);
    target.push(...items);
  };
  const global = (module: string, name: string): PickleValue => {
    if (!ALLOWED_GLOBALS.has(`${module} ${name}`)) {
      throw new FileFormatError(`${fileName}: refusing to load \`${module}.${name}\` from a pickle: dataset files only hold numpy arrays, so the file may be corrupted or malicious`);
    }
    return { kind: 'global', module, name };
  };

  for (;;) {
    opcodeAt = at;
    const opcode = u8();
    switch (opcode) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        u64();
        break; // FRAME: a length hint only
      case 0x2e: {
        // STOP
        const result = pop();
        return result;
      }
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popToMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(signedLittleEndian(take(u8())));
        break; // LONG1
      case 0x8b:
        stack.push(signedLittleEndian(take(u32())));
        break; // LONG4
      case 0x49: {
        // INT (text): also True/False as 01/00
        const text = line().trim();
        stack.push(text === '01' ? true : text === '00' ? false : Number(text));
        break;
      }
      case 0x4c:
        stack.push(Number(line().trim().replace(/L$/, '')));
        break; // LONG (text)
      case 0x47:
        need(8);
        stack.push(view.getFloat64(at, false));
        at += 8;
        break; // BINFLOAT (big-endian)
      case 0x46:
        stack.push(Number(line()));
        break; // FLOAT (text)
      case 0x54:
        stack.push(take(i32()));
        break; // BINSTRING: Python 2 str, kept as bytes
      case 0x55:
        stack.push(take(u8()));
        break; // SHORT_BINSTRING
      case 0x42:
        stack.push(take(u32()));
        break; // BINBYTES
      case 0x43:
        stack.push(take(u8()));
        break; // SHORT_BINBYTES
      case 0x8e:
        stack.push(take(u64()));
        break; // BINBYTES8
      case 0x96:
        stack.push(take(u64()));
        break; // BYTEARRAY8
      case 0x58:
        stack.push(utf8.decode(take(u32())));
        break; // BINUNICODE
      case 0x8c:
        stack.push(utf8.decode(take(u8())));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(utf8.decode(take(u64())));
        break; // BINUNICODE8
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x64: {
        // DICT
        const dict = new Map<string | number, PickleValue>();
        setItems(dict, popToMark());
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popToMark();
        setItems(top(), items);
        break;
      }
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        stack.push(popToMark());
        break; // LIST
      case 0x61: {
        // APPEND
        const item = pop();
        appendTo(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popToMark();
        appendTo(top(), items);
        break;
      }
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(popToMark());
        break; // TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x63: {
        // GLOBAL: "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings', opcodeAt);
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args)
        const args = pop();
        const callable = pop();
        stack.push(reduce(callable, args, fail, opcodeAt));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state)
        const state = pop();
        build(top(), state, fail, opcodeAt);
        break;
      }
      case 0x70:
        memo.set(Number(line()), top());
        break; // PUT
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x67:
        stack.push(fromMemo(memo, Number(line()), fail, opcodeAt));
        break; // GET
      case 0x68:
        stack.push(fromMemo(memo, u8(), fail, opcodeAt));
        break; // BINGET
      case 0x6a:
        stack.push(fromMemo(memo, u32(), fail, opcodeAt));
        break; // LONG_BINGET
      default:
        throw fail(`opcode 0x${opcode.toString(16).padStart(2, '0')} is not supported in dataset files`, opcodeAt);
    }
  }
}

/** Python 2 pickles (read as bytes) spell type strings as bytes. */
function asText(value: PickleValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return String.fromCharCode(...value);
  return undefined;
}

function fromMemo(memo: Map<number, PickleValue>, key: number, fail: (what: string, at: number) => FileFormatError, at: number): PickleValue {
  if (!memo.has(key)) throw fail(`memo entry ${key} is missing`, at);
  return memo.get(key)!;
}

type Fail = (what: string, at: number) => FileFormatError;

/** The calls numpy arrays pickle into: _reconstruct(ndarray, (0,), b'b'), dtype('u1', 0, 1), _codecs.encode. */
function reduce(callable: PickleValue, args: PickleValue, fail: Fail, at: number): PickleValue {
  if (!isObject(callable, 'global') || !Array.isArray(args)) throw fail('REDUCE needs a class and a tuple of arguments', at);
  const { module, name } = callable as { module: string; name: string };
  if (name === '_reconstruct') return { kind: 'ndarray', descr: '', shape: [], fortranOrder: false, data: new Uint8Array(0) };
  if (name === 'dtype') {
    const base = asText(args[0]);
    if (base === undefined) throw fail('numpy.dtype needs a type string', at);
    return { kind: 'dtype', base, byteOrder: '=' };
  }
  if (name === '_frombuffer') {
    const [data, dtype, shape, order] = args;
    if (!(data instanceof Uint8Array) || !isObject(dtype, 'dtype') || !Array.isArray(shape)) throw fail('_frombuffer needs bytes, a dtype and a shape', at);
    const { base, byteOrder } = dtype as { base: string; byteOrder: string };
    return { kind: 'ndarray', descr: `${byteOrder === '=' ? '<' : byteOrder}${base}`, shape: shape as number[], fortranOrder: order === 'F', data };
  }
  if (module === '_codecs' && name === 'encode') {
    if (typeof args[0] !== 'string') throw fail('_codecs.encode needs a string', at);
    return Uint8Array.from(args[0], (char) => char.charCodeAt(0) & 0xff);
  }
  throw fail(`${module}.${name} cannot be called`, at);
}

/** __setstate__ of numpy dtypes and arrays. */
function build(target: PickleValue, state: PickleValue, fail: Fail, at: number): void {
  if (isObject(target, 'dtype')) {
    // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
    const byteOrder = Array.isArray(state) ? asText(state[1]) : undefined;
    if (byteOrder !== undefined) (target as { byteOrder: string }).byteOrder = byteOrder;
    return;
  }
  if (isObject(target, 'ndarray')) {
    // (version, shape, dtype, is_fortran, rawdata)
    if (!Array.isArray(state) || state.length !== 5) throw fail('a numpy array state is not (version, shape, dtype, fortran, data)', at);
    const [, shape, dtype, fortran, data] = state;
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) throw fail('a numpy array shape is not a tuple of integers', at);
    if (!isObject(dtype, 'dtype')) throw fail('a numpy array has no dtype', at);
    const { base, byteOrder } = dtype as { base: string; byteOrder: string };
    const array = target as PickledArray;
    array.descr = base === 'O' || base === 'O8' ? '|O' : `${byteOrder === '=' ? '<' : byteOrder}${base}`;
    array.shape = shape as number[];
    array.fortranOrder = fortran === true;
    if (data instanceof Uint8Array || Array.isArray(data)) array.data = data;
    else if (typeof data === 'string') array.data = Uint8Array.from(data, (char) => char.charCodeAt(0) & 0xff);
    else throw fail('a numpy array has no data', at);
    return;
  }
  throw fail('BUILD on an object that is not a numpy array or dtype', at);
}

/** A dict's entry, or a FileFormatError naming what is missing. */
export function pickledEntry(value: PickleValue, key: string, fileName: string): PickleValue {
  if (!(value instanceof Map)) throw new FileFormatError(`${fileName} does not hold a dict (a pickled dataset batch)`);
  if (!value.has(key)) {
    throw new FileFormatError(`${fileName} has no entry "${key}" (it has: ${[...value.keys()].join(', ') || 'none'})`);
  }
  return value.get(key)!;
}

export function isPickledArray(value: PickleValue): value is PickledArray {
  return isObject(value, 'ndarray');
}
