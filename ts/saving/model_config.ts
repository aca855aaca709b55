// A model as Keras serialises it (config.json of a .keras file, `model.toJSON()`): Sequential
// as its list of layers, Functional as layers with the calls that connect them.
import { InputLayer } from '../layers/core/input_layer.js';
import type { Layer } from '../layers/layer.js';
import { Model } from '../models/model.js';
import type { Shape, SymbolicTensor } from '../symbolic.js';
import { compileConfig } from './compile_config.js';
import { KerasOperation } from './keras_operation.js';
import { type Config, type KerasObject, serializeObject } from './keras_object.js';
import { layerGraph, producer } from './layer_graph.js';

/** Whether `model` is a Sequential (or subclass); by name, since Sequential imports Model. */
export function isSequential(model: Model): boolean {
  for (let p = Object.getPrototypeOf(model); p; p = Object.getPrototypeOf(p)) if (p.constructor?.name === 'Sequential') return true;
  return false;
}

function inputLayerObject(layer: InputLayer): KerasObject {
  return {
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: { batch_shape: layer.batchInputShape, dtype: layer.dtype, sparse: false, ragged: false, name: layer.name, optional: false },
    registered_name: null,
  };
}

/** A layer's Keras object; `inputShapes` (one per input) give its build_config. */
function layerObject(layer: Layer | Model, inputShapes?: Shape[]): KerasObject {
  if (layer instanceof InputLayer) return inputLayerObject(layer);
  // A model used as a layer is saved whole, as Keras nests it.
  if (layer instanceof Model) return modelConfig(layer, false);
  if (layer instanceof KerasOperation) return { module: layer.module, class_name: layer.operation, config: { name: layer.name }, registered_name: layer.operation };
  const config = layer.getConfig();
  // In a model the InputLayer holds the input shape, as in Keras 3.
  delete config.batchInputShape;
  const object = serializeObject(layer, 'layer', config);
  if (inputShapes && inputShapes.length > 0) {
    const named = layer as Layer & { kerasBuildConfig?: (shapes: Shape[]) => Config };
    object.build_config = named.kerasBuildConfig ? named.kerasBuildConfig(inputShapes) : { input_shape: inputShapes.length === 1 ? inputShapes[0] : inputShapes };
  }
  return object;
}

function sequentialConfig(model: Model): { config: Config; buildConfig?: Config } {
  const layers: KerasObject[] = model.layers.map((l) => layerObject(l, l.lastInputShape ? [l.lastInputShape] : undefined));
  const config: Config = { name: model.name, trainable: model.trainable, layers };
  if (!model.built) return { config };
  const input = producer(model.inputs[0]) as InputLayer;
  layers.unshift(inputLayerObject(input));
  config.build_input_shape = input.batchInputShape;
  return { config, buildConfig: { input_shape: input.batchInputShape } };
}

function functionalConfig(model: Model): Config {
  const { layers, calls } = layerGraph(model.inputs, model.outputs);
  // A call with several outputs (a model, a recurrent layer's states) is one node: its tensors
  // share the call and differ by tensor index.
  const nodesOf = (layer: Layer) => [
    ...new Set(
      calls
        .get(layer)!
        .map((t) => t.layerCall)
        .filter((c) => c !== undefined),
    ),
  ];
  const history = (t: SymbolicTensor) => {
    const layer = producer(t);
    return t.layerCall ? [layer.name, nodesOf(layer).indexOf(t.layerCall), t.tensorIndex ?? 0] : [layer.name, 0, 0];
  };
  const reference = (t: SymbolicTensor) => ({ class_name: '__keras_tensor__', config: { shape: t.shape, dtype: t.dtype, keras_history: history(t) } });
  const layerConfigs = layers.map((layer) => {
    const own = nodesOf(layer);
    const object = layerObject(
      layer,
      own[0]?.inputs.map((t) => t.shape),
    );
    object.name = layer.name;
    object.inbound_nodes = own.map((call) => {
      const { inputs, listInput } = call;
      // A Keras operation's arguments mix tensors and numbers, each its own positional argument.
      if (layer instanceof KerasOperation) return { args: layer.kerasArgs(inputs.map(reference)), kwargs: {} };
      // Layers whose Keras call takes several tensors as separate arguments (MultiHeadAttention).
      // Keyword arguments of the call (use_causal_mask), for layers that record them.
      const output = calls.get(layer)!.find((t) => t.layerCall === call)!;
      const kwargs = (layer as Layer & { kerasCallKwargs?: (output: SymbolicTensor) => Config }).kerasCallKwargs?.(output) ?? {};
      if ('kerasPositionalInputs' in layer) return { args: inputs.map(reference), kwargs };
      return { args: [listInput ? inputs.map(reference) : reference(inputs[0])], kwargs };
    });
    return object;
  });
  // Keras counts a nested functional model's construction as its node 0 here (not in inbound nodes).
  const endHistory = (t: SymbolicTensor) => {
    const [name, node, index] = history(t);
    const layer = producer(t);
    return [name, layer instanceof Model && !isSequential(layer) ? (node as number) + 1 : node, index];
  };
  const ends = (ts: SymbolicTensor[]) => (ts.length === 1 ? endHistory(ts[0]) : ts.map(endHistory));
  return { name: model.name, trainable: model.trainable, layers: layerConfigs, input_layers: ends(model.inputs), output_layers: ends(model.outputs) };
}

/** The whole model as Keras' config.json holds it (compile_config when it was compiled). */
export function modelConfig(model: Model, withCompile = true): KerasObject {
  let object: KerasObject;
  if (isSequential(model)) {
    const { config, buildConfig } = sequentialConfig(model);
    object = { module: 'keras', class_name: 'Sequential', config, registered_name: null };
    if (buildConfig) object.build_config = buildConfig;
  } else {
    object = { module: 'keras.src.models.functional', class_name: 'Functional', config: functionalConfig(model), registered_name: 'Functional', build_config: { input_shape: null } };
  }
  const compiled = model.compiledState();
  if (withCompile && compiled) object.compile_config = compileConfig(compiled.args, compiled.optimizer);
  return object;
}
