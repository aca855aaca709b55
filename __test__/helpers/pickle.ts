// Writes pickle opcodes as Python 2's cPickle (protocol 2) does, for dataset files made in tests.
import { npy } from './npz.js';

export const op = {
  PROTO: 0x80,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  MARK: 0x28,
  BINPUT: 0x71,
  SHORT_BINSTRING: 0x55,
  BINSTRING: 0x54,
  GLOBAL: 0x63,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  REDUCE: 0x52,
  BUILD: 0x62,
  NONE: 0x4e,
  NEWFALSE: 0x89,
  APPENDS: 0x65,
  SETITEMS: 0x75,
  STOP: 0x2e,
};

export class PickleWriter {
  private parts: Buffer[] = [];
  private memo = 0;
  byte(...values: number[]) {
    this.parts.push(Buffer.from(values));
    return this;
  }
  put() {
    return this.byte(op.BINPUT, ++this.memo & 0xff);
  }
  str(text: string | Uint8Array) {
    const bytes = Buffer.from(text as string);
    if (bytes.length < 256) return this.byte(op.SHORT_BINSTRING, bytes.length).raw(bytes).put();
    const length = Buffer.alloc(4);
    length.writeInt32LE(bytes.length);
    return this.byte(op.BINSTRING).raw(length).raw(bytes).put();
  }
  int(value: number) {
    if (value >= 0 && value < 256) return this.byte(op.BININT1, value);
    if (value >= 0 && value < 65536) return this.byte(op.BININT2, value & 0xff, value >> 8);
    const bytes = Buffer.alloc(4);
    bytes.writeInt32LE(value);
    return this.byte(op.BININT).raw(bytes);
  }
  global(module: string, name: string) {
    return this.byte(op.GLOBAL)
      .raw(Buffer.from(`${module}\n${name}\n`, 'latin1'))
      .put();
  }
  raw(bytes: Uint8Array) {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/**
 * A `.npy` object array of integer lists (what imdb.npz holds), pickled as Python 2 numpy does:
 * _reconstruct(ndarray, (0,), 'b') then BUILD with (1, shape, dtype('O8'), False, [items]).
 */
export function objectArrayNpy(lists: number[][]): Buffer {
  const w = new PickleWriter();
  w.byte(op.PROTO, 2).global('numpy.core.multiarray', '_reconstruct').global('numpy', 'ndarray');
  w.int(0).byte(op.TUPLE1).str('b').byte(op.TUPLE3, op.REDUCE).put();
  w.byte(op.MARK).int(1).int(lists.length).byte(op.TUPLE1);
  w.global('numpy', 'dtype').str('O8').int(0).int(1).byte(op.TUPLE3, op.REDUCE).put();
  w.byte(op.MARK).int(3).str('|').byte(op.NONE, op.NONE, op.NONE).int(-1).int(-1).int(63).byte(op.TUPLE, op.BUILD);
  w.byte(op.NEWFALSE, op.EMPTY_LIST).put().byte(op.MARK);
  for (const list of lists) {
    w.byte(op.EMPTY_LIST).put().byte(op.MARK);
    for (const value of list) w.int(value);
    w.byte(op.APPENDS);
  }
  w.byte(op.APPENDS, op.TUPLE, op.BUILD, op.STOP);
  return npy(w.bytes(), [lists.length], '|O');
}
