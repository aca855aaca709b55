// Rebuilds a model from Keras' serialised config (config.json, `model_config` of a legacy .h5,
// `toJSON()`): Sequential from its layer list, Functional by replaying each layer's calls.
import { FileFormatError } from '../errors.js';
import { InputLayer } from '../layers/core/input_layer.js';
import type { Layer } from '../layers/layer.js';
import { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import type { SymbolicTensor } from '../symbolic.js';
import { isKerasOperation, KerasOperation, type OperationArgument } from './keras_operation.js';
import { isSequential } from './model_config.js';
import { type Config, describe, isKerasObject, isPlainObject, type KerasObject, layerFromKeras } from './keras_object.js';

function requireObject(value: unknown, what: string): Config {
  if (!isPlainObject(value)) throw new FileFormatError(`${what} must be an object, got ${describe(value)}`);
  return value;
}

function requireLayers(config: Config, what: string): KerasObject[] {
  const layers = config.layers;
  if (!Array.isArray(layers)) throw new FileFormatError(`${what}: the model config has no \`layers\` list`);
  layers.forEach((l, i) => {
    if (!isKerasObject(l)) throw new FileFormatError(`${what}: layer ${i} of the model config is not a serialised layer (needs class_name and config), got ${describe(l)}`);
  });
  return layers as KerasObject[];
}

function sequentialFromKeras(config: Config, what: string): Sequential {
  const layers = requireLayers(config, what).map((spec) => layerOrModel(spec, what));
  const model = new Sequential([], typeof config.name === 'string' ? { name: config.name } : {});
  for (const layer of layers) model.add(layer);
  const shape = config.build_input_shape;
  if (!model.built && Array.isArray(shape) && shape.length > 1) model.build(shape.slice(1) as number[]);
  return model;
}

/** A tensor reference `[layer name, node index, tensor index]`, from either Keras format. */
type TensorReference = [string, number, number];

function tensorReference(value: unknown, what: string): TensorReference {
  const history = isPlainObject(value) && value.class_name === '__keras_tensor__' ? (value.config as Config)?.keras_history : value;
  if (!Array.isArray(history) || typeof history[0] !== 'string' || !Number.isInteger(history[1]) || !Number.isInteger(history[2])) {
    throw new FileFormatError(`${what}: a tensor reference must be [layer name, node index, tensor index], got ${describe(value)}`);
  }
  return [history[0], history[1], history[2]];
}

/** One call of a layer: the references it reads, and whether they form a list. */
interface NodeSpec {
  references: TensorReference[];
  listInput: boolean;
  /** Every positional argument (a Keras operation's call mixes tensors and numbers). */
  operationArgs?: OperationArgument[];
  /** The call's keyword arguments (Keras' kwargs), camelCased. */
  options?: Record<string, unknown>;
}

function isTensorReference(value: unknown): boolean {
  return isPlainObject(value) && value.class_name === '__keras_tensor__';
}

/**
 * Keyword arguments of a Keras call as kiln call options; null ones are Keras' defaults.
 * Tensors passed by keyword (an attention mask from another layer) are refused by name.
 */
function callOptions(kwargs: unknown, what: string): Record<string, unknown> | undefined {
  if (!isPlainObject(kwargs)) return undefined;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(kwargs)) {
    if (value === null || value === undefined) continue;
    // A mask passed along is the one kiln attaches to the producing layer's output anyway.
    if (key === 'mask' && (isTensorReference(value) || Array.isArray(value))) continue;
    if (isTensorReference(value)) throw new FileFormatError(`${what}: the keyword argument \`${key}\` of a call is a tensor; tensors passed by keyword are not supported yet`);
    options[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return Object.keys(options).length > 0 ? options : undefined;
}

/** A Keras operation's positional arguments: tensors become numbered slots, numbers stay. */
function operationNode(args: unknown[], what: string): NodeSpec {
  const references: TensorReference[] = [];
  const operationArgs = args.map((arg): OperationArgument => {
    if (typeof arg === 'number') return arg;
    references.push(tensorReference(arg, what));
    return { tensor: references.length - 1 };
  });
  return { references, listInput: true, operationArgs };
}

function parseNode(node: unknown, what: string, operation = false): NodeSpec {
  // Keras 3: { args: [tensor | [tensors]], kwargs }. Keras 2: [[name, node, tensor, kwargs], ...].
  if (isPlainObject(node)) {
    const args = node.args;
    if (!Array.isArray(args) || args.length === 0) throw new FileFormatError(`${what}: an inbound node needs \`args\`, got ${describe(node)}`);
    if (operation) return operationNode(args, what);
    const first = args[0];
    const options = callOptions(node.kwargs, what);
    if (Array.isArray(first)) return { references: first.map((t) => tensorReference(t, what)), listInput: true, options };
    // Several tensors as separate arguments (MultiHeadAttention's query, value, key).
    if (args.length > 1 && args.every(isTensorReference)) return { references: args.map((t) => tensorReference(t, what)), listInput: true, options };
    return { references: [tensorReference(first, what)], listInput: false, options };
  }
  if (Array.isArray(node) && node.length > 0) {
    const references = node.map((t) => tensorReference(Array.isArray(t) ? t.slice(0, 3) : t, what));
    return { references, listInput: references.length > 1 };
  }
  throw new FileFormatError(`${what}: an inbound node must be an object or a list, got ${describe(node)}`);
}

/** Model classes Keras writes for nested models (a Sequential or Functional used as a layer). */
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** A layer of a functional config, or a model nested in it (built from its own config). */
function layerOrModel(spec: KerasObject, what: string): Layer | Model {
  if (isKerasOperation(spec)) return operationFromKeras(spec, what);
  if (!MODEL_CLASSES.has(spec.class_name)) return layerFromKeras(spec);
  return modelFromKeras(spec, `${what}, nested model '${String((spec.config as Config)?.name ?? spec.class_name)}'`);
}

/** A Keras operation node; its arguments come with its (single) call. */
function operationFromKeras(spec: KerasObject, what: string): KerasOperation {
  const name = typeof spec.name === 'string' ? spec.name : String((spec.config as Config)?.name ?? spec.class_name);
  const nodes = Array.isArray(spec.inbound_nodes) ? spec.inbound_nodes : [];
  if (nodes.length !== 1) throw new FileFormatError(`${what}: Keras operation '${name}' must be called once, got ${nodes.length} calls`);
  const { operationArgs } = parseNode(nodes[0], `${what}, operation '${name}'`, true);
  return new KerasOperation(spec.class_name, typeof spec.module === 'string' ? spec.module : 'keras.src.ops.numpy', operationArgs!, name);
}

function functionalFromKeras(config: Config, what: string): Model {
  const specs = requireLayers(config, what);
  const layers = new Map<string, Layer | Model>();
  const pending = new Map<string, NodeSpec[]>();
  // Each layer's calls in order (Keras' node indices), each call's outputs in order.
  const outputs = new Map<string, SymbolicTensor[][]>();
  for (const spec of specs) {
    const layer = layerOrModel(spec, what);
    const name = typeof spec.name === 'string' ? spec.name : layer.name;
    if (layers.has(name)) throw new FileFormatError(`${what}: the layer name '${name}' is used twice in the model config`);
    layers.set(name, layer);
    if (layer instanceof InputLayer) {
      outputs.set(name, [[layer.output]]);
      pending.set(name, []);
    } else {
      const nodes = spec.inbound_nodes;
      if (!Array.isArray(nodes)) throw new FileFormatError(`${what}: layer '${name}' has no \`inbound_nodes\` list`);
      pending.set(
        name,
        nodes.map((n) => parseNode(n, `${what}, layer '${name}'`, layer instanceof KerasOperation)),
      );
      outputs.set(name, []);
    }
  }
  // In input_layers and output_layers (not in inbound nodes) Keras counts a nested functional
  // model's own construction as its node 0, so its calls start at 1.
  const resolve = ([name, node, index]: TensorReference, ends = false): SymbolicTensor | undefined => {
    if (!layers.has(name)) throw new FileFormatError(`${what}: a tensor reference names layer '${name}', which is not in the model config`);
    const layer = layers.get(name);
    const call = outputs.get(name)![ends && layer instanceof Model && !isSequential(layer) ? node - 1 : node];
    if (call && index >= call.length) throw new FileFormatError(`${what}: layer '${name}' has ${call.length} output(s), but output ${index} is referenced`);
    return call?.[index];
  };
  // Replay the calls: each pass runs every call whose inputs exist, until none is left.
  for (let progress = true; progress; ) {
    progress = false;
    for (const [name, nodes] of pending) {
      while (nodes.length > 0) {
        const inputs = nodes[0].references.map((r) => resolve(r));
        if (inputs.some((t) => t === undefined)) break;
        const list = inputs as SymbolicTensor[];
        const target = layers.get(name)! as { apply(x: SymbolicTensor | SymbolicTensor[], options?: Record<string, unknown>): SymbolicTensor | SymbolicTensor[] };
        const options = nodes[0].options;
        const result = options ? target.apply(nodes[0].listInput ? list : list[0], options) : target.apply(nodes[0].listInput ? list : list[0]);
        outputs.get(name)!.push(Array.isArray(result) ? result : [result]);
        nodes.shift();
        progress = true;
      }
    }
  }
  const stuck = [...pending].filter(([, nodes]) => nodes.length > 0).map(([name]) => name);
  if (stuck.length > 0) throw new FileFormatError(`${what}: the calls of layer(s) ${stuck.join(', ')} read tensors that nothing produces (disconnected or cyclic model config)`);
  const ends = (value: unknown, key: string): SymbolicTensor[] => {
    if (!Array.isArray(value) || value.length === 0) throw new FileFormatError(`${what}: the model config has no \`${key}\``);
    const references = typeof value[0] === 'string' ? [value] : value;
    return references.map((r) => {
      const t = resolve(tensorReference(r, what), true);
      if (!t) throw new FileFormatError(`${what}: \`${key}\` names ${describe(r)}, which is never computed`);
      return t;
    });
  };
  const inputs = ends(config.input_layers, 'input_layers');
  const outs = ends(config.output_layers, 'output_layers');
  return new Model({ inputs, outputs: outs, name: typeof config.name === 'string' ? config.name : undefined });
}

/** The model (no weights) that a serialised Keras model describes; `what` names the source. */
export function modelFromKeras(object: unknown, what: string): Model {
  const model = requireObject(object, `${what}: the model config`);
  const className = model.class_name;
  const config = requireObject(model.config, `${what}: the model's \`config\``);
  try {
    const built = className === 'Sequential' ? sequentialFromKeras(config, what) : className === 'Functional' || className === 'Model' ? functionalFromKeras(config, what) : undefined;
    // A model saved frozen (Keras' `model.trainable = False`) loads frozen.
    if (built && config.trainable === false) built.trainable = false;
    if (built) return built;
  } catch (error) {
    if (error instanceof FileFormatError) throw error;
    throw new FileFormatError(`${what}: the model config cannot be rebuilt: ${(error as Error).message}`);
  }
  throw new FileFormatError(`${what}: unknown model class '${String(className)}' (kiln loads Sequential and Functional models)`);
}
