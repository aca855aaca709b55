// A model as Keras serialises it (config.json of a .keras file, `model.toJSON()`): Sequential
// as its list of layers, Functional as layers with the calls that connect them.
import { InputLayer } from '../layers/core/input_layer.js';
import type { Layer } from '../layers/layer.js';
import type { Model } from '../models/model.js';
import type { Shape, SymbolicTensor } from '../symbolic.js';
import { compileConfig } from './compile_config.js';
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
    config: { batch_shape: layer.batchInputShape, dtype: 'float32', sparse: false, ragged: false, name: layer.name, optional: false },
    registered_name: null,
  };
}

/** A layer's Keras object; `inputShapes` (one per input) give its build_config. */
function layerObject(layer: Layer, inputShapes?: Shape[]): KerasObject {
  if (layer instanceof InputLayer) return inputLayerObject(layer);
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
  const config: Config = { name: model.name, trainable: true, layers };
  if (!model.built) return { config };
  const input = producer(model.inputs[0]) as InputLayer;
  layers.unshift(inputLayerObject(input));
  config.build_input_shape = input.batchInputShape;
  return { config, buildConfig: { input_shape: input.batchInputShape } };
}

function functionalConfig(model: Model): Config {
  const { layers, calls } = layerGraph(model.inputs, model.outputs);
  const history = (t: SymbolicTensor) => {
    const layer = producer(t);
    return [layer.name, Math.max(0, calls.get(layer)!.indexOf(t)), 0];
  };
  const reference = (t: SymbolicTensor) => ({ class_name: '__keras_tensor__', config: { shape: t.shape, dtype: 'float32', keras_history: history(t) } });
  const layerConfigs = layers.map((layer) => {
    const own = calls.get(layer)!.filter((t) => t.layerCall);
    const object = layerObject(layer, own[0]?.layerCall?.inputs.map((t) => t.shape));
    object.name = layer.name;
    object.inbound_nodes = own.map((t) => {
      const { inputs, listInput } = t.layerCall!;
      // Layers whose Keras call takes several tensors as separate arguments (MultiHeadAttention).
      if ('kerasPositionalInputs' in layer) {
        const kwargs = (layer as Layer & { kerasCallKwargs?: (output: SymbolicTensor) => Config }).kerasCallKwargs?.(t) ?? {};
        return { args: inputs.map(reference), kwargs };
      }
      return { args: [listInput ? inputs.map(reference) : reference(inputs[0])], kwargs: {} };
    });
    return object;
  });
  const ends = (ts: SymbolicTensor[]) => (ts.length === 1 ? history(ts[0]) : ts.map(history));
  return { name: model.name, trainable: true, layers: layerConfigs, input_layers: ends(model.inputs), output_layers: ends(model.outputs) };
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
