// Rebuilds a model from Keras' serialised config (config.json, `model_config` of a legacy .h5,
// `toJSON()`): Sequential from its layer list, Functional by replaying each layer's calls.
import { FileFormatError } from '../errors.js';
import { InputLayer } from '../layers/core/input_layer.js';
import type { Layer } from '../layers/layer.js';
import { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import type { SymbolicTensor } from '../symbolic.js';
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
  const layers = requireLayers(config, what).map(layerFromKeras);
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

function parseNode(node: unknown, what: string): NodeSpec {
  // Keras 3: { args: [tensor | [tensors]], kwargs }. Keras 2: [[name, node, tensor, kwargs], ...].
  if (isPlainObject(node)) {
    const args = node.args;
    if (!Array.isArray(args) || args.length === 0) throw new FileFormatError(`${what}: an inbound node needs \`args\`, got ${describe(node)}`);
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

function functionalFromKeras(config: Config, what: string): Model {
  const specs = requireLayers(config, what);
  const layers = new Map<string, Layer>();
  const pending = new Map<string, NodeSpec[]>();
  const outputs = new Map<string, SymbolicTensor[]>();
  for (const spec of specs) {
    const layer = layerFromKeras(spec);
    const name = typeof spec.name === 'string' ? spec.name : layer.name;
    if (layers.has(name)) throw new FileFormatError(`${what}: the layer name '${name}' is used twice in the model config`);
    layers.set(name, layer);
    if (layer instanceof InputLayer) {
      outputs.set(name, [layer.output]);
      pending.set(name, []);
    } else {
      const nodes = spec.inbound_nodes;
      if (!Array.isArray(nodes)) throw new FileFormatError(`${what}: layer '${name}' has no \`inbound_nodes\` list`);
      pending.set(name, nodes.map((n) => parseNode(n, `${what}, layer '${name}'`)));
      outputs.set(name, []);
    }
  }
  const resolve = ([name, node, index]: TensorReference): SymbolicTensor | undefined => {
    if (!layers.has(name)) throw new FileFormatError(`${what}: a tensor reference names layer '${name}', which is not in the model config`);
    if (index !== 0) throw new FileFormatError(`${what}: layer '${name}' has one output, but output ${index} is referenced`);
    return outputs.get(name)![node];
  };
  // Replay the calls: each pass runs every call whose inputs exist, until none is left.
  for (let progress = true; progress; ) {
    progress = false;
    for (const [name, nodes] of pending) {
      while (nodes.length > 0) {
        const inputs = nodes[0].references.map(resolve);
        if (inputs.some((t) => t === undefined)) break;
        const list = inputs as SymbolicTensor[];
        const options = nodes[0].options;
        outputs.get(name)!.push(options ? layers.get(name)!.apply(nodes[0].listInput ? list : list[0], options) : layers.get(name)!.apply(nodes[0].listInput ? list : list[0]));
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
      const t = resolve(tensorReference(r, what));
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
    if (className === 'Sequential') return sequentialFromKeras(config, what);
    if (className === 'Functional' || className === 'Model') return functionalFromKeras(config, what);
  } catch (error) {
    if (error instanceof FileFormatError) throw error;
    throw new FileFormatError(`${what}: the model config cannot be rebuilt: ${(error as Error).message}`);
  }
  throw new FileFormatError(`${what}: unknown model class '${String(className)}' (kiln loads Sequential and Functional models)`);
}
