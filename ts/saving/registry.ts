// Classes that configs name: kiln's own layers, losses and optimizers, found from the public
// exports (so layers added later need no entry here), plus the custom ones users register.
import { ValueError } from '../errors.js';
import * as applicationLayerExports from '../applications/helper_layers.js';
import * as layerExports from '../layers/index.js';
import { Layer } from '../layers/layer.js';
import * as lossExports from '../losses/index.js';
import { Loss } from '../losses/loss.js';
import * as optimizerExports from '../optimizers/index.js';
import { Optimizer } from '../optimizers/optimizer.js';
import * as scheduleExports from '../optimizers/schedules/index.js';
import * as constraintExports from '../constraints/index.js';
import { Constraint } from '../constraints/constraint.js';
import * as regularizerExports from '../regularizers/index.js';
import { Regularizer } from '../regularizers/regularizer.js';
import { LearningRateSchedule } from '../optimizers/schedules/learning_rate_schedule.js';

// biome-ignore lint/suspicious/noExplicitAny: any class, called with its config: unknown[] would refuse classes with typed parameters, never[] the call
export type SerializableClass = abstract new (...args: any[]) => unknown;
/** What can be registered: a class (layer, loss, metric, ...) or a function (activation, ...). */
export type Serializable = SerializableClass | ((...args: never[]) => unknown);

/** The options of `registerSerializable`: the `package>name` a saved file refers to it by. */
export interface RegisterOptions {
  /** Default 'Custom', as Keras. */
  package?: string;
  /** Default: the class or function name. */
  name?: string;
}

const registered = new Map<string, Serializable>();
const namesOf = new Map<Serializable, string>();

/**
 * Registers a custom class or function under `package>name` (Keras' register_keras_serializable),
 * so saved models that use it are loaded with it. Returns its argument, so it can wrap a class.
 */
export function registerSerializable<T extends Serializable>(target: T, options: RegisterOptions = {}): T {
  if (typeof target !== 'function') throw new ValueError(`registerSerializable: expected a class or function, got ${String(target)}`);
  const pkg = options.package ?? 'Custom';
  const name = options.name ?? target.name;
  if (!name) throw new ValueError('registerSerializable: give a `name` for an anonymous class or function');
  if (pkg.includes('>')) throw new ValueError(`registerSerializable: the package name cannot contain '>', got '${pkg}'`);
  const key = `${pkg}>${name}`;
  registered.set(key, target);
  namesOf.set(target, key);
  return target;
}

/** The registered name (`Custom>MyLayer`) of a class or function, if it was registered. */
export function registeredNameOf(target: unknown): string | undefined {
  return typeof target === 'function' ? namesOf.get(target as Serializable) : undefined;
}

/** The registered class or function named `name` (`package>name`, or a bare name). */
export function findRegistered(name: string): Serializable | undefined {
  const exact = registered.get(name);
  if (exact) return exact;
  for (const [key, value] of registered) if (key.split('>')[1] === name) return value;
  return undefined;
}

/** Every exported class of a module that derives from `base`, by class name. */
function classesOf(exports: Record<string, unknown>, base: SerializableClass): Map<string, SerializableClass> {
  const found = new Map<string, SerializableClass>();
  for (const value of Object.values(exports)) {
    if (typeof value === 'function' && (value === base || value.prototype instanceof base)) found.set(value.name, value as SerializableClass);
  }
  return found;
}

/** Kinds of objects configs hold. */
export type ObjectKind = 'layer' | 'loss' | 'optimizer' | 'schedule' | 'regularizer' | 'constraint';

let builtIns: Record<ObjectKind, Map<string, SerializableClass>> | undefined;

/**
 * The class a config names: a registered one first (by registered name, then class name), then
 * kiln's built-in class of that kind.
 */
export function findClass(kind: ObjectKind, className: string, registeredName?: string | null): SerializableClass | undefined {
  builtIns ??= builtInClasses();
  const custom = (registeredName ? findRegistered(registeredName) : undefined) ?? findRegistered(className);
  if (typeof custom === 'function' && custom.prototype) return custom as SerializableClass;
  return builtIns[kind].get(className);
}

/** The names of kiln's built-in classes of a kind, and of the registered ones, for error messages. */
export function knownClassNames(kind: ObjectKind): string[] {
  builtIns ??= builtInClasses();
  const custom = kind === 'layer' ? [...registered.entries()].filter(([, v]) => typeof v === 'function' && v.prototype instanceof Layer).map(([key]) => key) : [];
  return [...[...builtIns[kind].keys()].sort(), ...custom];
}

function builtInClasses(): Record<ObjectKind, Map<string, SerializableClass>> {
  return {
    // keras.applications' own helper layers (LayerScale, ...) are saved in its models too.
    layer: new Map([...classesOf(layerExports, Layer as SerializableClass), ...classesOf(applicationLayerExports, Layer as SerializableClass)]),
    loss: classesOf(lossExports, Loss as SerializableClass),
    optimizer: classesOf(optimizerExports, Optimizer as SerializableClass),
    schedule: classesOf(scheduleExports, LearningRateSchedule as SerializableClass),
    regularizer: classesOf(regularizerExports, Regularizer as SerializableClass),
    constraint: classesOf(constraintExports, Constraint as SerializableClass),
  };
}
