// The part of ONNX's protobuf schema (onnx.proto, IR version 8) that an inference model needs,
// and its encoding with protobufjs. Field numbers are the ones the ONNX specification fixes.
import protobuf from 'protobufjs/light.js';

/** TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
export type OnnxDataTypeValue = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** AttributeProto.AttributeType values used here. */
export const OnnxAttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface TensorProto {
  name: string;
  dims: number[];
  dataType: OnnxDataTypeValue;
  /** Little-endian values (float32 or int64, as dataType says). */
  rawData: Uint8Array;
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}

export interface NodeProto {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
}

/** One axis: a fixed size or a symbolic name (the batch axis). */
export type DimensionProto = { dimValue: number } | { dimParam: string };

export interface ValueInfoProto {
  name: string;
  type: { tensorType: { elemType: OnnxDataTypeValue; shape: { dim: DimensionProto[] } } };
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
}

export interface ModelProto {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: GraphProto;
}

const field = (type: string, id: number, rule?: 'repeated') => (rule ? { type, id, rule } : { type, id });

const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: field('int64', 1),
            opsetImport: field('OperatorSetIdProto', 8, 'repeated'),
            producerName: field('string', 2),
            producerVersion: field('string', 3),
            docString: field('string', 6),
            graph: field('GraphProto', 7),
          },
        },
        OperatorSetIdProto: { fields: { domain: field('string', 1), version: field('int64', 2) } },
        GraphProto: {
          fields: {
            node: field('NodeProto', 1, 'repeated'),
            name: field('string', 2),
            initializer: field('TensorProto', 5, 'repeated'),
            input: field('ValueInfoProto', 11, 'repeated'),
            output: field('ValueInfoProto', 12, 'repeated'),
          },
        },
        NodeProto: {
          fields: {
            input: field('string', 1, 'repeated'),
            output: field('string', 2, 'repeated'),
            name: field('string', 3),
            opType: field('string', 4),
            attribute: field('AttributeProto', 5, 'repeated'),
          },
        },
        AttributeProto: {
          fields: {
            name: field('string', 1),
            f: field('float', 2),
            i: field('int64', 3),
            s: field('bytes', 4),
            floats: field('float', 7, 'repeated'),
            ints: field('int64', 8, 'repeated'),
            strings: field('bytes', 9, 'repeated'),
            type: field('int32', 20),
          },
        },
        TensorProto: {
          fields: {
            dims: field('int64', 1, 'repeated'),
            dataType: field('int32', 2),
            name: field('string', 8),
            rawData: field('bytes', 9),
          },
        },
        ValueInfoProto: { fields: { name: field('string', 1), type: field('TypeProto', 2) } },
        TypeProto: { fields: { tensorType: field('TypeProtoTensor', 1) } },
        TypeProtoTensor: { fields: { elemType: field('int32', 1), shape: field('TensorShapeProto', 2) } },
        TensorShapeProto: { fields: { dim: field('Dimension', 1, 'repeated') } },
        Dimension: {
          oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
          fields: { dimValue: field('int64', 1), dimParam: field('string', 2) },
        },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;

/** The model as ONNX's protobuf bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  modelType ??= protobuf.Root.fromJSON(SCHEMA).lookupType('onnx.ModelProto');
  return modelType.encode(modelType.fromObject(model as unknown as Record<string, unknown>)).finish();
}
