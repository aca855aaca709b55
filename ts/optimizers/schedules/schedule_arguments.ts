import { ValueError } from '../../errors.js';
import { describeValue } from '../../utils/options.js';

// Argument checks shared by the schedules; messages follow Keras' "Argument `x` must be ...".

function fail(schedule: string, name: string, requirement: string, value: unknown): never {
  throw new ValueError(`${schedule}: Argument \`${name}\` must be ${requirement}. Received: ${name}=${describeValue(value)}`);
}

/** A finite number >= 0 (learning rates, rates of decay, alpha). */
export function nonNegative(schedule: string, name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(schedule, name, 'a finite number >= 0', value);
  return value;
}

/** A finite number > 0 (step counts). */
export function positive(schedule: string, name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(schedule, name, 'a finite number > 0', value);
  return value;
}

/** A number in [low, high]. */
export function between(schedule: string, name: string, value: number, low: number, high: number): number {
  if (typeof value !== 'number' || !(value >= low && value <= high)) fail(schedule, name, `a number between ${low} and ${high}`, value);
  return value;
}

/** A boolean flag. */
export function flag(schedule: string, name: string, value: boolean): boolean {
  if (typeof value !== 'boolean') fail(schedule, name, 'a boolean', value);
  return value;
}
