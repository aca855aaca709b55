// Initializers in saved configs. Named ones map to kiln's names; those with settings kiln's
// names cannot carry (VarianceScaling with EfficientNet's scale and mode, Constant, the random
// ones with their own ranges) become initializer functions with those settings. The loaded
// weights replace their values anyway; they matter only when a layer is built anew.
import { FileFormatError } from '../errors.js';
import { getInitializer, type Initializer, varianceScaling } from '../initializers.js';
import * as random from '../random.js';
import { tensor } from '../tensor.js';
import { snakeCase } from '../utils/naming.js';
import { type Config, describe, isPlainObject } from './keras_object.js';

const number = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);

/** Makes an initializer from the settings of the Keras class it is named after. */
const WITH_SETTINGS: Record<string, (config: Config) => Initializer | undefined> = {
  VarianceScaling: ({ scale = 1, mode = 'fan_in', distribution = 'truncated_normal' }) => {
    // Keras reads 'normal' as truncated_normal.
    const kind = distribution === 'normal' ? 'truncated_normal' : distribution;
    if (typeof scale !== 'number' || !(scale > 0) || !['fan_in', 'fan_out', 'fan_avg'].includes(mode as string) || !['uniform', 'truncated_normal', 'untruncated_normal'].includes(kind as string))
      return undefined;
    return varianceScaling(scale, mode as 'fan_in', kind as 'uniform');
  },
  Constant:
    ({ value }) =>
    (shape) =>
      tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(number(value, 0)), shape),
  RandomNormal:
    ({ mean, stddev }) =>
    (shape) =>
      random.normal(shape, number(mean, 0), number(stddev, 0.05)),
  RandomUniform:
    ({ minval, maxval }) =>
    (shape) =>
      random.uniform(shape, number(minval, -0.05), number(maxval, 0.05)),
  TruncatedNormal:
    ({ mean, stddev }) =>
    (shape) =>
      random.truncatedNormal(shape, number(mean, 0), number(stddev, 0.05)),
};

/** The kiln initializer of a serialised Keras initializer (class name and config). */
export function initializerFromKeras(className: string, config: unknown, owner: string): string | Initializer {
  const name = snakeCase(className);
  const settings = isPlainObject(config) ? Object.fromEntries(Object.entries(config).filter(([k, v]) => v !== null && k !== 'seed')) : {};
  const make = WITH_SETTINGS[className];
  if (!make || Object.keys(settings).length === 0) return name;
  const initializer = make(settings);
  if (!initializer) throw new FileFormatError(`The config of ${owner} holds a ${className} initializer kiln cannot read: ${describe(config)}`);
  // Saved again under Keras' name for it (with Keras' default settings).
  Object.defineProperty(initializer, 'name', { value: name });
  getInitializer(initializer);
  return initializer;
}
