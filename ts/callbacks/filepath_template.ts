// Checkpoint paths as Keras formats them with Python's str.format: 'ckpt-{epoch:02d}-{val_loss:.2f}.keras'.
import { ValueError } from '../errors.js';

/** One value under a Python format spec: [0][width][.precision][d|f|e|g|s]. */
function formatValue(value: number, spec: string, field: string, template: string): string {
  const match = /^(0)?(\d+)?(?:\.(\d+))?([dfegs%])?$/.exec(spec);
  if (!match) throw new ValueError(`Failed to format this callback filepath: "${template}". Reason: unsupported format spec '${spec}' for '${field}'`);
  const [, zero, width, precision, type] = match;
  let text: string;
  if (type === 'd') {
    if (!Number.isInteger(value)) throw new ValueError(`Failed to format this callback filepath: "${template}". Reason: '${field}' is ${value}, not an integer, for format 'd'`);
    text = String(Math.abs(value));
  } else if (type === 'f' || type === '%' || (precision !== undefined && type === undefined)) {
    text = Math.abs(type === '%' ? value * 100 : value).toFixed(precision === undefined ? 6 : Number(precision)) + (type === '%' ? '%' : '');
  } else if (type === 'e') {
    text = Math.abs(value)
      .toExponential(precision === undefined ? 6 : Number(precision))
      .replace(/e([+-])(\d)$/, 'e$10$2');
  } else if (type === 'g') {
    text = String(Number(Math.abs(value).toPrecision(precision === undefined ? 6 : Math.max(1, Number(precision)))));
  } else {
    text = String(Math.abs(value));
  }
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const size = width === undefined ? 0 : Number(width);
  if (zero) return sign + text.padStart(size - sign.length, '0');
  return (sign + text).padStart(size, ' ');
}

/** Fills `{name}` / `{name:spec}` fields from `values`; unknown names are an error, as in Keras. */
export function formatFilepath(template: string, values: Record<string, number>): string {
  return template.replace(/\{([A-Za-z_][\w]*)(?::([^}]*))?\}/g, (_, field: string, spec = '') => {
    const value = values[field];
    if (value === undefined) {
      throw new ValueError(`Failed to format this callback filepath: "${template}". Reason: '${field}' is not logged (available: ${Object.keys(values).join(', ')})`);
    }
    return formatValue(value, spec, field, template);
  });
}
