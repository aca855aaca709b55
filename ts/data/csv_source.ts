// Dataset.fromCsv: rows of a CSV file streamed from disk, parsed by the csv-parse package.
import { parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { FileFormatError, ValueError } from '../errors.js';
import { tensor } from '../tensor.js';
import type { Element } from './element.js';

/** Options of `Dataset.fromCsv`, named after tf.data's `make_csv_dataset`. */
export interface CsvOptions {
  /** Whether the first line names the columns. Default true. */
  header?: boolean;
  /** Column names, for a file without a header (or to rename). Default: the header's. */
  columnNames?: string[];
  /** The columns to read, by name or index, in file order. Default: all. */
  selectColumns?: (string | number)[];
  /** The label column, by name or index: elements are then `[features, label]`. */
  labelName?: string | number;
  /** The label's dtype. Default 'float32'. */
  labelDtype?: 'float32' | 'int32';
  /** Default ','. */
  fieldDelim?: string;
}

interface CsvPlan {
  features: number[];
  label?: number;
}

/** Which column indices become features and label, given the column names. */
function plan(names: string[] | undefined, width: number, options: CsvOptions, path: string): CsvPlan {
  const resolve = (column: string | number, what: string): number => {
    if (typeof column === 'number') {
      if (!Number.isInteger(column) || column < 0 || column >= width) throw new ValueError(`Dataset.fromCsv(${path}): ${what} ${column} is not a column index (the file has ${width} columns)`);
      return column;
    }
    const index = names?.indexOf(column) ?? -1;
    if (index < 0) throw new ValueError(`Dataset.fromCsv(${path}): ${what} "${column}" is not a column; the columns are ${names ? names.join(', ') : 'unnamed (no header): use indices'}`);
    return index;
  };
  const selected = options.selectColumns ? options.selectColumns.map((c) => resolve(c, 'selected column')) : Array.from({ length: width }, (_, i) => i);
  const label = options.labelName === undefined ? undefined : resolve(options.labelName, 'labelName');
  if (label !== undefined && options.selectColumns && !selected.includes(label)) selected.push(label);
  const features = [...new Set(selected)].sort((a, b) => a - b).filter((i) => i !== label);
  if (features.length === 0) throw new ValueError(`Dataset.fromCsv(${path}): no feature columns are left besides the label`);
  return { features, label };
}

/**
 * The elements of a CSV file of numbers: a float32 vector of the feature columns per row, paired
 * with the label when `labelName` is given. The file is read as a stream on each iteration.
 */
export function csvSource(path: string, options: CsvOptions = {}): () => AsyncGenerator<Element> {
  if (typeof path !== 'string') throw new ValueError(`Dataset.fromCsv: path must be a string, got ${typeof path}`);
  const { header = true, fieldDelim = ',', labelDtype = 'float32' } = options;
  if (labelDtype !== 'float32' && labelDtype !== 'int32') throw new ValueError(`Dataset.fromCsv: labelDtype must be 'float32' or 'int32', got '${labelDtype}'`);
  return async function* () {
    const input = createReadStream(path);
    const parser = input.pipe(parse({ delimiter: fieldDelim, info: true, trim: true, skip_empty_lines: true, relax_column_count: false }));
    input.on('error', (error) => parser.destroy(error)); // pipe() does not forward read errors
    let names = options.columnNames;
    let columns: CsvPlan | undefined;
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        if (header && info.lines === 1 && !columns) {
          names ??= record;
          continue;
        }
        columns ??= plan(names, record.length, options, path);
        const number = (index: number): number => {
          const text = record[index];
          const value = text === '' ? NaN : Number(text);
          if (Number.isNaN(value) && text.toLowerCase() !== 'nan') {
            throw new FileFormatError(`${path}, line ${info.lines}: column "${names?.[index] ?? index}" holds ${JSON.stringify(text)}, not a number`);
          }
          return value;
        };
        const features = tensor(Float32Array.from(columns.features, number));
        if (columns.label === undefined) yield features;
        else yield [features, tensor([number(columns.label)], [], labelDtype)];
      }
    } catch (error) {
      input.destroy();
      if (error instanceof FileFormatError || error instanceof ValueError) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT') throw new FileFormatError(`Dataset.fromCsv: the file ${path} does not exist`);
      throw new FileFormatError(`${path} is not a valid CSV file: ${(error as Error).message}`);
    }
  };
}
