// Turns a model's recorded graph into an ONNX model: weights become initializers, each op
// becomes the ONNX nodes its converter emits, converted on demand so only what the outputs
// need is written (in topological order, as ONNX requires).
import { ValueError } from '../../errors.js';
import type { Model } from '../../models/model.js';
import type { Shape, SymbolicTensor } from '../../symbolic.js';
import { CONVERTERS } from './converters/index.js';
import { type ConstantValue, OnnxGraphBuilder } from './graph_builder.js';
import { type DimensionProto, type ModelProto, OnnxDataType, type ValueInfoProto } from './onnx_proto.js';
import type { OpConversion, OpConverter } from './op_conversion.js';

/** ONNX IR version 8 goes with opset 17, which every current runtime reads. */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

function valueInfo(name: string, shape: Shape): ValueInfoProto {
  const dim: DimensionProto[] = shape.map((d, i) => (d === null ? { dimParam: i === 0 ? 'batch' : `${name}_dim${i}` } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim } } } };
}

/** Values known at export time: weights, literals, and reshapes of them. */
function constantOf(t: SymbolicTensor): ConstantValue | undefined {
  if (t.spec.op === 'variable' && t.variable) return { shape: [...t.variable.shape], values: Float32Array.from(t.variable.read().dataSync() as Float32Array) };
  if (t.spec.op === 'constant') return { shape: t.spec.shape, values: Float32Array.from(t.spec.values) };
  if (t.spec.op === 'reshape' && !t.spec.keep_batch && t.shape.every((d) => d !== null)) {
    const source = constantOf(t.inputs[0]);
    return source && { shape: t.shape as number[], values: source.values };
  }
  return undefined;
}

export function modelToOnnx(model: Model, producerVersion: string): ModelProto {
  if (!model.built) {
    throw new ValueError(`Model "${model.name}" cannot be exported before it is built: give its first layer an \`inputShape\`, or call it on data (predict) first`);
  }
  if (model.dataStage) {
    throw new ValueError(
      `Model "${model.name}" cannot be exported to ONNX: its first layers (${model.engineInputs
        .filter((t) => !model.inputs.includes(t))
        .map((t) => t.name)
        .join(', ')}) read its inputs in JavaScript (strings, lookups), which ONNX cannot run; export a model that starts from their output`,
    );
  }
  const layerClass = new Map(model.layers.map((l) => [l.name, l.constructor.name]));
  const builder = new OnnxGraphBuilder();
  const names = new Map<SymbolicTensor, string>();
  const graphInputs = model.inputs.map((t) => {
    const name = builder.uniqueName(t.name);
    names.set(t, name);
    return valueInfo(name, t.shape);
  });

  const convert = (t: SymbolicTensor): string => {
    const known = names.get(t);
    if (known !== undefined) return known;
    let name: string;
    if (t.spec.op === 'input') {
      throw new ValueError(`Model "${model.name}" cannot be exported to ONNX: its graph reads the input "${t.name}", which is not one of the model's inputs`);
    }
    const constant = t.spec.op === 'variable' || t.spec.op === 'constant' ? constantOf(t) : undefined;
    if (constant) {
      name = builder.floatInitializer(t.name, constant);
    } else {
      // Each converter is registered under the ops it reads.
      const converter = CONVERTERS[t.spec.op] as OpConverter | undefined;
      const layerName = t.name;
      if (!converter) {
        const kind = layerClass.get(layerName);
        throw new ValueError(`Layer "${layerName}"${kind ? ` (${kind})` : ''} cannot be exported to ONNX: its operation '${t.spec.op}' has no ONNX converter`);
      }
      const op: OpConversion = {
        builder,
        node: t,
        spec: t.spec,
        layerName,
        input: (i) => convert(t.inputs[i]),
        constant: (i) => constantOf(t.inputs[i]),
      };
      const outer = builder.scope;
      builder.scope = layerName;
      try {
        name = converter(op);
      } finally {
        builder.scope = outer;
      }
    }
    names.set(t, name);
    return name;
  };

  const graphOutputs = model.outputs.map((t) => {
    // Each output gets its own name (the layer's), even when two outputs share a tensor.
    const name = builder.uniqueName(t.name);
    builder.nodes.push({ name: builder.uniqueName(`${name}/output`), opType: 'Identity', input: [convert(t)], output: [name], attribute: [] });
    return valueInfo(name, t.shape);
  });

  return {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'kiln-nn',
    producerVersion,
    graph: { name: model.name, node: builder.nodes, initializer: builder.initializers, input: graphInputs, output: graphOutputs },
  };
}
