// Where checkpoint callbacks write: the directory is made (as Keras' makedirs) and checked
// writable before training starts, so a bad path fails at once rather than after an epoch.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileFormatError } from '../errors.js';

/** Makes `directory` if needed and checks it can be written; `owner` names the callback. */
export function prepareDirectory(directory: string, owner: string): void {
  try {
    fs.mkdirSync(directory, { recursive: true });
    fs.accessSync(directory, fs.constants.W_OK);
  } catch (error) {
    throw new FileFormatError(`${owner}: cannot write to ${directory}: ${(error as Error).message}`);
  }
  if (!fs.statSync(directory).isDirectory()) throw new FileFormatError(`${owner}: ${directory} is not a directory`);
}

/** The directory part of a path template that holds no `{...}` field, if any. */
export function fixedDirectory(template: string): string {
  const parts = path.dirname(template).split(path.sep);
  const firstTemplated = parts.findIndex((p) => p.includes('{'));
  const fixed = firstTemplated < 0 ? parts : parts.slice(0, firstTemplated);
  return fixed.length === 0 ? '.' : fixed.join(path.sep) || path.sep;
}
