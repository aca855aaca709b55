// Builds CIFAR batch files byte for byte as the real archives hold them: Python 2 cPickle,
// protocol 2, with `str` keys and the pixels as one BINSTRING inside a pickled numpy array.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from 'tar';
import { op, PickleWriter } from './pickle.js';

export interface CifarBatchSpec {
  /** count x 3072 channel-first pixels. */
  data: Uint8Array;
  count: number;
  labels: Record<string, number[]>;
  /** Override the module of the array's reconstruct function (to test refusals). */
  reconstructModule?: string;
}

/** One batch file, as `cPickle.dump(dict, f, 2)` wrote it in Python 2. */
export function cifarBatchPickle(spec: CifarBatchSpec): Buffer {
  const w = new PickleWriter();
  w.byte(op.PROTO, 2, op.EMPTY_DICT).put().byte(op.MARK);
  w.str('data');
  w.global(spec.reconstructModule ?? 'numpy.core.multiarray', '_reconstruct').global('numpy', 'ndarray');
  w.int(0).byte(op.TUPLE1).str('b').byte(op.TUPLE3, op.REDUCE).put();
  w.byte(op.MARK).int(1).int(spec.count).int(3072).byte(op.TUPLE2).put();
  w.global('numpy', 'dtype').str('u1').int(0).int(1).byte(op.TUPLE3, op.REDUCE).put();
  w.byte(op.MARK).int(3).str('|').byte(op.NONE, op.NONE, op.NONE).int(-1).int(-1).int(0).byte(op.TUPLE, op.BUILD);
  w.byte(op.NEWFALSE).str(spec.data).byte(op.TUPLE, op.BUILD);
  for (const [key, labels] of Object.entries(spec.labels)) {
    w.str(key).byte(op.EMPTY_LIST).put().byte(op.MARK);
    for (const label of labels) w.int(label);
    w.byte(op.APPENDS);
  }
  w.str('batch_label').str('training batch 1 of 5');
  w.byte(op.SETITEMS, op.STOP);
  return w.bytes();
}

/** Writes `files` ({ relative path: bytes }) under `dir`, then packs them into `archive` (tar.gz). */
export async function writeTarGz(dir: string, archive: string, files: Record<string, Uint8Array>): Promise<void> {
  for (const [name, bytes] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), bytes);
  }
  const roots = [...new Set(Object.keys(files).map((name) => name.split('/')[0]))];
  await create({ gzip: true, file: archive, cwd: dir, portable: true }, roots);
}

/** Channel-first pixels whose value says where they are: image, channel, position. */
export function cifarPixels(count: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: count * 3072 }, (_, i) => (i * 7 + seed * 31 + Math.floor(i / 3072) * 13) % 251);
}
