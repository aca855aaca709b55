// `compile` settings in Keras' compile_config: the optimizer with its config, the loss(es),
// metrics and loss weights, both ways.
import { FileFormatError } from '../errors.js';
import { Loss } from '../losses/loss.js';
import type { LossFunction } from '../losses/loss_function.js';
import { resolveMetric } from '../metrics/get_metric.js';
import type { CompileArgs, Model } from '../models/model.js';
import { getOptimizer } from '../optimizers/index.js';
import { Optimizer } from '../optimizers/optimizer.js';
import { type Config, deserializeObject, describe, isKerasObject, isPlainObject, type KerasObject, KerasFloat, serializeObject } from './keras_object.js';

/** The options every optimizer has, in kiln's spelling, held outside the rule's own fields. */
const BASE_FIELDS = new Set(['name', 'iterations', 'weightDecay', 'clipnorm', 'clipvalue', 'globalClipnorm']);

/** An optimizer's constructor options: the base ones plus the rule's own public fields. */
export function optimizerConfig(optimizer: Optimizer): Config {
  const own = Object.entries(optimizer).filter(
    ([key, value]) => !BASE_FIELDS.has(key) && !key.startsWith('_') && (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string'),
  );
  return {
    name: optimizer.name,
    learningRate: optimizer.learningRate,
    weightDecay: optimizer.weightDecay,
    clipnorm: optimizer.clipnorm,
    globalClipnorm: optimizer.globalClipnorm,
    clipvalue: optimizer.clipvalue,
    ...Object.fromEntries(own),
  };
}

export function serializeOptimizer(optimizer: Optimizer): KerasObject {
  const object = serializeObject(optimizer, 'optimizer', optimizerConfig(optimizer));
  // Keras' base optimizer options that kiln does not have, at Keras' values.
  object.config = { ...object.config, use_ema: false, ema_momentum: 0.99, ema_overwrite_frequency: null, loss_scale_factor: null, gradient_accumulation_steps: null };
  // Keras' optimizer hyper-parameters are floats.
  for (const [key, value] of Object.entries(object.config)) {
    if (typeof value === 'number') object.config[key] = new KerasFloat(value);
  }
  return object;
}

function serializeLoss(loss: string | Loss | LossFunction): unknown {
  // A loss function is written by its name (Keras also needs it given again to load).
  if (typeof loss === 'function') return loss.name || 'custom_loss';
  return loss instanceof Loss ? serializeObject(loss, 'loss') : loss;
}

/** Keras' compile_config for a model compiled with `args`. */
export function compileConfig(args: CompileArgs, optimizer: Optimizer): Config {
  const given = args.loss;
  const loss =
    given === undefined
      ? null
      : Array.isArray(given)
        ? given.map(serializeLoss)
        : typeof given === 'string' || given instanceof Loss
          ? serializeLoss(given)
          : Object.fromEntries(Object.entries(given).map(([name, l]) => [name, serializeLoss(l)]));
  return {
    optimizer: serializeOptimizer(optimizer),
    loss,
    loss_weights: args.lossWeights ?? null,
    metrics: args.metrics ?? null,
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}

function deserializeLoss(value: unknown, file: string): string | Loss {
  if (typeof value === 'string') return value;
  if (isKerasObject(value)) return deserializeObject<Loss>(value, 'loss');
  throw new FileFormatError(`${file}: a loss in compile_config must be a name or a serialised loss, got ${describe(value)}`);
}

/** Values of a per-output setting given as a list, or as a dict keyed by output names. */
function perOutput<T>(value: unknown, outputNames: string[], convert: (v: unknown) => T): T | T[] {
  if (Array.isArray(value)) return value.map(convert);
  if (isPlainObject(value) && !isKerasObject(value)) return outputNames.map((name) => convert(value[name]));
  return convert(value);
}

export function optimizerFromKeras(value: unknown, file: string): Optimizer {
  if (typeof value === 'string') return getOptimizer(value);
  if (!isKerasObject(value)) throw new FileFormatError(`${file}: compile_config.optimizer must be a name or a serialised optimizer, got ${describe(value)}`);
  const optimizer = deserializeObject<Optimizer>(value, 'optimizer');
  if (!(optimizer instanceof Optimizer)) throw new FileFormatError(`${file}: '${value.class_name}' is not an optimizer`);
  return optimizer;
}

/**
 * Compiles a loaded model as its compile_config (legacy .h5: training_config) says. A model
 * Keras never compiled (`null`, or `{}` as Keras 3 writes it) loads uncompiled, as in Keras; one
 * compiled without a loss (custom training) also loads uncompiled, with a warning, since kiln's
 * `compile` needs a loss. Returns whether it compiled the model.
 */
export function compileFromKeras(model: Model, config: unknown, file: string): boolean {
  if (!isPlainObject(config) || Object.keys(config).length === 0) return false;
  if (config.loss === undefined || config.loss === null) {
    console.warn(`${file}: the model was compiled in Keras without a loss; it is loaded uncompiled (predict works; call compile() with a loss to train it)`);
    return false;
  }
  model.compile(
    compileArgsFromKeras(
      config,
      model.outputs.map((t) => t.sourceLayer?.name ?? ''),
      file,
    ),
  );
  return true;
}

/** kiln's compile arguments from Keras' compile_config (legacy .h5: training_config). */
export function compileArgsFromKeras(config: Config, outputNames: string[], file: string): CompileArgs {
  const optimizerValue = config.optimizer ?? config.optimizer_config;
  const optimizer = optimizerValue === undefined || optimizerValue === null ? 'rmsprop' : optimizerFromKeras(optimizerValue, file);
  if (config.loss === undefined || config.loss === null) throw new FileFormatError(`${file}: compile_config has no loss`);
  const loss = perOutput(config.loss, outputNames, (v) => deserializeLoss(v, file));
  const args: CompileArgs = { optimizer, loss };
  if (config.metrics !== undefined && config.metrics !== null) {
    // kiln applies one metric list to every output: the union of Keras' per-output lists.
    const names = [config.metrics].flat(3).flatMap((m) => (isPlainObject(m) && !isKerasObject(m) ? Object.values(m).flat() : [m]));
    args.metrics = [...new Set(names)].filter((name): name is string => {
      if (typeof name !== 'string') {
        console.warn(`${file}: skipping metric ${describe(name)}: kiln loads metrics given by name`);
        return false;
      }
      try {
        resolveMetric(name, 'mean_squared_error', 2);
        return true;
      } catch {
        console.warn(`${file}: skipping metric '${name}', which kiln does not compute yet`);
        return false;
      }
    });
  }
  if (config.loss_weights !== undefined && config.loss_weights !== null) {
    const weights = perOutput(config.loss_weights, outputNames, (v) => v);
    const list = Array.isArray(weights) ? weights : [weights];
    if (list.some((w) => typeof w !== 'number')) throw new FileFormatError(`${file}: loss_weights must be numbers, got ${describe(config.loss_weights)}`);
    args.lossWeights = list as number[];
  }
  return args;
}
