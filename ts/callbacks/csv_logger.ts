import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ValueError } from '../errors.js';
import { Callback, type Logs } from './callback.js';
import { checkedMainArguments } from '../layers/main_arguments.js';
import { describeValue } from '../utils/options.js';

/** The options of CSVLogger; unknown keys are refused. */
export interface CSVLoggerOptions {
  /** Between fields (default ','). */
  separator?: string;
  /** Add to an existing file instead of overwriting it (default false). */
  append?: boolean;
}

/**
 * Writes each epoch's logs to a CSV file as training goes: Keras' `CSVLogger`. Columns are
 * `epoch`, then the log keys sorted (with `val_` columns, `NA` where an epoch has none), and
 * rows are written as Python's csv module writes them, so files match Keras' byte for byte.
 */
export class CSVLogger extends Callback {
  /** The CSV file written. */
  readonly filename: string;
  /** The field separator. */
  readonly separator: string;
  /** Whether rows are added to an existing file. */
  readonly append: boolean;
  private keys?: string[];
  private writeHeader = true;

  constructor(filename: string | (CSVLoggerOptions & { filename: string }), options: CSVLoggerOptions = {}) {
    const split = checkedMainArguments<CSVLoggerOptions>('CSVLogger', [filename, options], ['filename'], ['separator', 'append']);
    [filename, options] = [split.main[0] as string, split.options];
    super();
    const { separator = ',', append = false } = options;
    if (typeof filename !== 'string' || filename === '') throw new ValueError(`CSVLogger: \`filename\` must be a file path, got ${describeValue(filename)}`);
    if (typeof separator !== 'string' || separator.length !== 1) throw new ValueError(`CSVLogger: \`separator\` must be a 1-character string, got ${JSON.stringify(separator)}`);
    this.filename = filename;
    this.separator = separator;
    this.append = Boolean(append);
  }

  onTrainBegin(): void {
    if (this.append) {
      // A header only if the file is new or empty.
      this.writeHeader = !existsSync(this.filename) || readFileSync(this.filename, 'utf8').split('\n', 1)[0] === '';
    } else {
      writeFileSync(this.filename, '');
      this.writeHeader = true;
    }
    this.keys = undefined;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (!this.keys) {
      this.keys = Object.keys(logs).sort();
      // As Keras: without validation in the first epoch, make room for it in later ones.
      if (!this.keys.some((k) => k.startsWith('val_'))) this.keys.push(...this.keys.map((k) => `val_${k}`));
    }
    let text = '';
    if (this.writeHeader) {
      text += this.row(['epoch', ...this.keys]);
      this.writeHeader = false;
    }
    text += this.row([String(epoch), ...this.keys.map((k) => (k in logs ? pythonFloat(logs[k]) : 'NA'))]);
    appendFileSync(this.filename, text);
  }

  /** One line as Python's csv.writer (excel dialect) writes it. */
  private row(fields: string[]): string {
    const quote = (field: string) => (/["\r\n]/.test(field) || field.includes(this.separator) ? `"${field.replace(/"/g, '""')}"` : field);
    return fields.map(quote).join(this.separator) + '\r\n';
  }
}

/** A number as Python's repr writes a float: 1.0, 1e-05, nan, inf. */
function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const [mantissa, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}
