// Keras' two constructor forms: main arguments positionally then an options object
// (`new RepeatVector(3, { name })`), or one object holding everything, which is what
// getConfig() returns, so `new TheLayer(layer.getConfig())` rebuilds the layer.

import { ValueError } from '../errors.js';
import { checkOptionNames, describeValue, isOptionsObject } from '../utils/options.js';

/**
 * Splits constructor arguments into the main ones (named `names`, in order) and the remaining
 * options. A single options object as the first argument provides the main ones by name.
 */
export function mainArguments<O extends object>(given: unknown[], names: string[]): { main: unknown[]; options: O } {
  if (isOptionsObject(given[0])) {
    const options: Record<string, unknown> = { ...given[0], ...(isOptionsObject(given[1]) ? given[1] : {}) };
    const main = names.map((n) => options[n]);
    for (const n of names) delete options[n];
    return { main, options: options as O };
  }
  // Python's `Conv2D(32, kernel_size=(3, 3), activation="relu")`: the first main arguments
  // positionally, the rest by name in the options object that follows them.
  const firstNamed = given.findIndex((g, i) => i > 0 && i < names.length && isOptionsObject(g));
  if (firstNamed > 0 && given.slice(firstNamed + 1).every((g) => g === undefined || (isOptionsObject(g) && Object.keys(g).length === 0))) {
    const options: Record<string, unknown> = { ...(given[firstNamed] as Record<string, unknown>) };
    const twice = names.slice(0, firstNamed).find((n) => n in options);
    if (twice) throw new ValueError(`\`${twice}\` is given twice: positionally (${describeArgument(given[names.indexOf(twice)])}) and in the options (${describeArgument(options[twice])})`);
    const main = names.map((n, i) => (i < firstNamed ? given[i] : options[n]));
    for (const n of names) delete options[n];
    return { main, options: options as O };
  }
  // Anything else where the options belong is passed on, for checkOptionNames to refuse:
  // `new Dense(8, 'relu')` must not drop 'relu' silently.
  const options = given[names.length] ?? {};
  if (isOptionsObject(options)) {
    const twice = names.find((n, i) => n in options && given[i] !== undefined);
    if (twice) throw new ValueError(`\`${twice}\` is given twice: positionally (${describeArgument(given[names.indexOf(twice)])}) and in the options (${describeArgument(options[twice])})`);
  }
  return { main: given.slice(0, names.length), options: options as O };
}

/**
 * A constructor argument as a message shows it: a short list of numbers as written
 * (`[3, 3]`), anything else as describeValue says it (never "[object Object]").
 */
export function describeArgument(value: unknown): string {
  const short = Array.isArray(value) && value.length <= 8 && value.every((v) => v === null || typeof v === 'number' || (Array.isArray(v) && v.every((w) => typeof w === 'number')));
  return short ? JSON.stringify(value) : describeValue(value);
}

/**
 * mainArguments for constructors no base class checks (callbacks): an unknown option name is
 * refused, naming `where`; the main arguments count as valid names of the options form.
 */
export function checkedMainArguments<O extends object>(where: string, given: unknown[], names: string[], optionNames: readonly string[]): { main: unknown[]; options: O } {
  const split = mainArguments<O>(given, names);
  checkOptionNames(where, split.options, [...names, ...optionNames]);
  return split;
}
