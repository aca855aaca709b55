import { ValueError } from '../errors.js';
import { describeValue } from '../utils/options.js';

// Checks of callback options shared by the callbacks; messages name the callback and option.

/** A non-negative integer option (patience, cooldown, verbose, ...). */
export function countOption(callback: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new ValueError(`${callback}: \`${name}\` must be a non-negative integer, got ${describeValue(value)}`);
  return value;
}

/** A finite number option within [low, high] (or above low when high is omitted). */
export function numberOption(callback: string, name: string, value: number, low = -Infinity, high = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < low || value > high) {
    const range = high === Infinity ? (low === -Infinity ? 'a finite number' : `a finite number >= ${low}`) : `a number between ${low} and ${high}`;
    throw new ValueError(`${callback}: \`${name}\` must be ${range}, got ${describeValue(value)}`);
  }
  return value;
}
