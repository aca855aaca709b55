// Keras' serialised form of objects ({ module, class_name, config, registered_name }) and the
// conversion of configs between Keras' spelling (snake_case, initializer objects, dtype
// policies) and kiln's (camelCase constructor options).
import { FileFormatError, KilnError, ValueError } from '../errors.js';
import { InputLayer } from '../layers/core/input_layer.js';
import { Layer } from '../layers/layer.js';
import { Loss } from '../losses/loss.js';
import { Optimizer } from '../optimizers/optimizer.js';
import { LearningRateSchedule } from '../optimizers/schedules/learning_rate_schedule.js';
import { constructFromConfig } from './construct.js';
import { initializerFromKeras } from './initializer_from_keras.js';
import { kerasKey, kilnKey } from './keras_names.js';
import { findClass, findRegistered, knownClassNames, type ObjectKind, registeredNameOf } from './registry.js';

export type Config = Record<string, unknown>;

/** One object as Keras serialises it. */
export interface KerasObject {
  module?: string | null;
  class_name: string;
  config: Config;
  registered_name?: string | null;
  [key: string]: unknown;
}

export function isKerasObject(value: unknown): value is KerasObject {
  return isPlainObject(value) && typeof value.class_name === 'string' && ('config' in value || 'items' in value);
}

export function isPlainObject(value: unknown): value is Config {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** Keras' module of each kind of object, as written in `module`. */
const MODULES: Record<ObjectKind, string> = {
  layer: 'keras.layers',
  loss: 'keras.losses',
  optimizer: 'keras.optimizers',
  schedule: 'keras.optimizers.schedules',
  regularizer: 'keras.regularizers',
  constraint: 'keras.constraints',
};

/** A kiln object (layer, loss, schedule, ...) in Keras' serialised form. */
export function serializeObject(object: object, kind: ObjectKind, config = (object as { getConfig(): Config }).getConfig()): KerasObject {
  const registered = registeredNameOf(object.constructor);
  // Classes Keras defines outside its public modules (keras.applications' helper layers) say where.
  const module = (object.constructor as { kerasModule?: string }).kerasModule ?? MODULES[kind];
  return {
    module: registered ? null : module,
    class_name: registered ? registered.split('>')[1] : object.constructor.name,
    config: toKerasConfig(config),
    registered_name: registered ?? null,
  };
}

/** kiln config (camelCase) -> Keras config (snake_case, nested objects serialised). */
export function toKerasConfig(config: Config): Config {
  const out: Config = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    const penalty = penaltyKind(key, value);
    // Regularizers and constraints appear in layer configs as `{ className, config }`.
    if (penalty) out[kerasKey(key)] = { module: MODULES[penalty], class_name: (value as Config).className, config: toKerasConfig(((value as Config).config ?? {}) as Config), registered_name: null };
    else if (isWrappedLayer(key, value)) out[kerasKey(key)] = wrappedLayer(value);
    else out[kerasKey(key)] = toKerasValue(value, key);
  }
  return out;
}

/** A wrapper's layer (Bidirectional's `layer` and `backwardLayer`, TimeDistributed's `layer`), described as `{ className, config }`. */
function isWrappedLayer(key: string, value: unknown): value is { className: string; config: Config } {
  return (key === 'layer' || key === 'backwardLayer') && isPlainObject(value) && typeof value.className === 'string' && isPlainObject(value.config);
}

/** Keras serialises a wrapped layer as any layer: with its module, or its registered name. */
function wrappedLayer({ className, config }: { className: string; config: Config }): KerasObject {
  const cls = findClass('layer', className);
  const registered = cls ? registeredNameOf(cls) : undefined;
  const module = (cls as { kerasModule?: string } | undefined)?.kerasModule ?? MODULES.layer;
  return { module: registered ? null : module, class_name: registered ? registered.split('>')[1] : className, config: toKerasConfig(config), registered_name: registered ?? null };
}

function penaltyKind(key: string, value: unknown): ObjectKind | undefined {
  if (!isPlainObject(value) || typeof value.className !== 'string') return undefined;
  if (key.endsWith('Regularizer')) return 'regularizer';
  if (key.endsWith('Constraint')) return 'constraint';
  return undefined;
}

/** The kind of a kiln object found in a config, by its class or the option holding it. */
function kindOfValue(value: object, key: string): ObjectKind {
  if (value instanceof Layer) return 'layer';
  if (value instanceof Loss) return 'loss';
  if (value instanceof Optimizer) return 'optimizer';
  if (value instanceof LearningRateSchedule) return 'schedule';
  if (/[Rr]egularizer$/.test(key)) return 'regularizer';
  if (/[Cc]onstraint$/.test(key)) return 'constraint';
  throw new ValueError(`Cannot save the \`${key}\` option: a ${value.constructor.name} is not a layer, loss, optimizer, schedule, regularizer or constraint`);
}

function toKerasValue(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value !== 'function') return value;
    // A function in a config (activation, initializer) is saved by its registered name.
    const name = registeredNameOf(value);
    if (!name && !value.name) throw new ValueError('Cannot save an anonymous function in a config: register it with kiln.utils.registerSerializable');
    return name ?? value.name;
  }
  if (Array.isArray(value)) return value.map((v) => toKerasValue(v, key));
  if (typeof (value as { getConfig?: unknown }).getConfig === 'function') return serializeObject(value, kindOfValue(value, key));
  return toKerasConfig(value as Config);
}

/**
 * Keras options whose value is Keras' default (so kiln's default too) are left out, so that
 * kiln layers that lack the option still load; any other value of them reaches the layer,
 * which refuses what it does not support.
 */
const KERAS_DEFAULTS: Config = {
  sparse: false,
  ragged: false,
  optional: false,
  stateful: false,
  unroll: false,
  return_state: false,
  zero_output_for_mask: false,
  dropout: 0,
  recurrent_dropout: 0,
  reset_after: true,
  unit_forget_bias: true,
  use_cudnn: 'auto',
  data_format: 'channels_last',
  groups: 1,
  synchronized: false,
  renorm: false,
  renorm_momentum: 0.99,
  mask_zero: false,
  axis: -1,
  rms_scaling: false,
  reduction: 'sum_over_batch_size',
  use_ema: false,
  ema_momentum: 0.99,
};

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Keys that never change what a loaded model computes (random seeds, bookkeeping). */
const IGNORED_KEYS = new Set(['seed', 'shared_object_id', 'input_axes', 'output_axes']);
/** Options whose `null` is a choice, not "the default" (Bidirectional's `merge_mode=None` returns both directions). */
const MEANINGFUL_NULLS = new Set(['merge_mode']);

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Keras config (snake_case) -> kiln config (camelCase); `owner` names the object in errors. */
export function fromKerasConfig(config: unknown, owner: string): Config {
  if (!isPlainObject(config)) throw new FileFormatError(`The config of ${owner} must be an object, got ${describe(config)}`);
  const out: Config = {};
  for (const [key, value] of Object.entries(config)) {
    // JSON.parse keeps '__proto__' as a plain key; assigning it would swap the object's prototype.
    if (FORBIDDEN_KEYS.has(key)) throw new FileFormatError(`The config of ${owner} holds the key '${key}', which is not a valid option`);
    if ((value === null && !MEANINGFUL_NULLS.has(key)) || IGNORED_KEYS.has(key)) continue;
    if (key in KERAS_DEFAULTS && sameValue(value, KERAS_DEFAULTS[key])) continue;
    if (key === 'dtype') {
      const dtype = isKerasObject(value) ? (value.config as Config).name : value;
      if (dtype === 'float32') continue;
      out.dtype = dtype;
      continue;
    }
    out[kilnKey(key)] = fromKerasValue(key, value, owner);
  }
  return out;
}

function fromKerasValue(key: string, value: unknown, owner: string): unknown {
  if (Array.isArray(value)) return value.map((v) => fromKerasValue(key, v, owner));
  if (!isKerasObject(value)) return isPlainObject(value) ? fromKerasConfig(value, owner) : value;
  if (value.class_name === '__tuple__') return ((value.items as unknown[]) ?? []).map((v) => fromKerasValue(key, v, owner));
  if (value.module === 'keras.initializers' || key.endsWith('initializer')) {
    // kiln's initializers are named; the loaded weights replace their values anyway.
    const custom = value.registered_name ? findRegistered(value.registered_name) : undefined;
    return custom ?? initializerFromKeras(value.class_name, value.config, owner);
  }
  if (value.class_name === 'DTypePolicy') return (value.config as Config)?.name;
  return deserializeObject(value, kindOfObject(key, value));
}

/** What kind of object a nested config holds, from its module or the option that holds it. */
function kindOfObject(key: string, object: KerasObject): ObjectKind {
  const byModule = Object.entries(MODULES)
    .sort((a, b) => b[1].length - a[1].length)
    .find(([, module]) => object.module === module || object.module?.startsWith(`${module}.`));
  if (byModule) return byModule[0] as ObjectKind;
  if (key === 'learning_rate') return 'schedule';
  if (key === 'loss') return 'loss';
  if (key === 'optimizer') return 'optimizer';
  if (key.endsWith('regularizer')) return 'regularizer';
  if (key.endsWith('constraint')) return 'constraint';
  return 'layer';
}

/** Makes the kiln object a serialised Keras object describes. */
export function deserializeObject<T>(object: KerasObject, kind: ObjectKind): T {
  if (kind === 'layer') return layerFromKeras(object) as T;
  const cls = findClass(kind, object.class_name, object.registered_name);
  if (!cls) throw unknownClass(object, kind);
  return construct<T>(() => constructFromConfig<T>(cls, fromKerasConfig(object.config ?? {}, `${kind} '${object.class_name}'`)), `${kind} '${object.class_name}'`);
}

function unknownClass(object: KerasObject, kind: ObjectKind): FileFormatError {
  const name = object.registered_name ?? object.class_name;
  const owner = isPlainObject(object.config) && typeof object.config.name === 'string' ? ` (${kind} '${object.config.name}')` : '';
  return new FileFormatError(
    `Could not locate ${kind} class '${name}'${owner} named in the saved config. Make sure custom classes are registered with kiln.utils.registerSerializable(${object.class_name}). Known ${kind} classes: ${knownClassNames(kind).join(', ')}`,
  );
}

/**
 * Keras' safe_mode refuses a Lambda layer: its function is saved as Python bytecode, and
 * loading it would run arbitrary code. kiln runs no Python, so it refuses it always.
 */
function refuseLambda(object: KerasObject): never {
  const name = isPlainObject(object.config) && typeof object.config.name === 'string' ? object.config.name : 'lambda';
  throw new FileFormatError(
    `Layer '${name}' is a Lambda layer, which cannot be loaded: its function is saved as Python bytecode, which Keras' safe_mode refuses to deserialize (it could run arbitrary code) and which kiln cannot run. Replace the Lambda with a custom layer (subclass kiln.layers.Layer, register it with kiln.utils.registerSerializable) in the Python model, or rebuild the model in kiln with one`,
  );
}

/** Runs a constructor, turning its complaint about the saved options into a FileFormatError. */
function construct<T>(make: () => T, owner: string): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof FileFormatError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new FileFormatError(`The saved config of ${owner} cannot be loaded: ${message}`);
  }
}

/** checkOptionNames' refusal: the unknown names, quoted, before the valid ones. */
const UNRECOGNIZED = /: unknown options? (.*)\. Valid options: /;

/** Options a loaded layer may lack without computing anything differently. */
function harmless(option: string): boolean {
  return /(Initializer|Regularizer|Constraint)$/.test(option) || option === 'activityRegularizer';
}

/** The kiln layer a serialised Keras layer describes (weights not yet loaded). */
export function layerFromKeras(object: KerasObject): Layer {
  if (!isKerasObject(object)) throw new FileFormatError(`A layer config must be an object with \`class_name\` and \`config\`, got ${describe(object)}`);
  const owner = `layer '${(object.config as Config)?.name ?? object.class_name}' (${object.class_name})`;
  if (object.class_name === 'Lambda' && !findClass('layer', 'Lambda', object.registered_name)) refuseLambda(object);
  const config = fromKerasConfig(object.config ?? {}, owner);
  if (object.class_name === 'InputLayer') return inputLayerFromConfig(config, owner);
  const cls = findClass('layer', object.class_name, object.registered_name);
  if (!cls) throw unknownClass(object, 'layer');
  delete config.batchInputShape;
  delete config.batchShape;
  return construct(() => {
    try {
      return constructFromConfig<Layer>(cls, config);
    } catch (error) {
      const unknown = error instanceof KilnError ? UNRECOGNIZED.exec(error.message) : null;
      const options = unknown?.[1].split(',').map((s) => s.trim().replace(/^'|'$/g, ''));
      if (!options?.every(harmless)) throw error;
      for (const option of options) delete config[option];
      return constructFromConfig<Layer>(cls, config);
    }
  }, owner);
}

function inputLayerFromConfig(config: Config, owner: string): InputLayer {
  const shape = config.batchShape ?? config.batchInputShape;
  // A string Input may be one string per sample (Keras' shape=()).
  const text = config.dtype === 'string';
  if (!Array.isArray(shape) || shape.length < (text ? 1 : 2) || shape.slice(1).some((d) => d !== null && (!Number.isInteger(d) || (d as number) <= 0))) {
    throw new FileFormatError(`The saved config of ${owner} needs a \`batch_shape\` of positive integers or null (varying lengths) after the batch axis, got ${describe(shape)}`);
  }
  // Keras' integer inputs (token ids, often 'int64') feed kiln's as int32; floats stay float32.
  const dtype = text ? 'string' : typeof config.dtype === 'string' && /^u?int/.test(config.dtype) ? (config.dtype === 'uint8' ? 'uint8' : 'int32') : 'float32';
  return new InputLayer({ batchShape: shape as (number | null)[], dtype, name: typeof config.name === 'string' ? config.name : undefined });
}

const FLOAT_MARK = '\u0000float:';

/**
 * A number Keras requires to be a Python float (SGD refuses an integer `momentum`). JSON has one
 * number type, so `kerasJson` writes these with a decimal point, as Python's json does.
 */
export class KerasFloat {
  constructor(readonly value: number) {}
  toJSON(): string {
    return `${FLOAT_MARK}${this.value}`;
  }
}

/** JSON text for Keras' files: KerasFloat values become floats (0 -> 0.0). */
export function kerasJson(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000float:([^"]*)"/g, (_, v: string) => (/[.eE]|Infinity|NaN/.test(v) ? v : `${v}.0`));
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
