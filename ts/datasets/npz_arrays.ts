// Reading named arrays out of a dataset's .npz, with errors that name the file and the array.
import { FileFormatError } from '../errors.js';
import type { NpyArray, NpyNumericArray, NpyObjectArray } from './npy.js';
import { readNpz } from './npz.js';

/** The arrays `names` of the .npz at `path`; a missing one is a FileFormatError. */
export async function readNpzArrays(path: string, names: string[]): Promise<Map<string, NpyArray>> {
  const npz = await readNpz(path);
  for (const name of names) {
    if (!npz.has(name)) throw new FileFormatError(`${path} has no array "${name}" (it has: ${[...npz.keys()].join(', ') || 'none'})`);
  }
  return npz;
}

/** A numeric array's values as float64, whatever its numeric dtype. */
export function numericValues(array: NpyArray, what: string): { values: Float64Array; shape: number[] } {
  if (array.dtype === 'object') throw new FileFormatError(`${what} holds Python objects; expected numbers`);
  const numeric = array as NpyNumericArray;
  return { values: Float64Array.from(numeric.data as ArrayLike<number | bigint>, Number), shape: numeric.shape };
}

/** An object array of integer lists (imdb's reviews), as arrays of numbers. */
export function integerLists(array: NpyArray, what: string): number[][] {
  if (array.dtype !== 'object') throw new FileFormatError(`${what} must be an object array of integer lists, got dtype ${array.dtype}`);
  return (array as NpyObjectArray).items.map((item, index) => {
    const list = Array.isArray(item) ? item : undefined;
    if (!list?.every((value) => (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint')) {
      throw new FileFormatError(`${what}: item ${index} is not a list of integers`);
    }
    return list.map(Number);
  });
}
