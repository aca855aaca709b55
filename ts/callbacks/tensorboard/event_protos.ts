// The protocol buffer messages of TensorBoard event files (tensorboard/compat/proto: event,
// summary, tensor, tensor_shape, graph), only the fields kiln writes, with their field numbers.
import protobuf from 'protobufjs/light.js';

/** TensorFlow's DataType numbers (types.proto). */
export const DataType = { DT_FLOAT: 1, DT_DOUBLE: 2, DT_STRING: 7 } as const;

const root = protobuf.Root.fromJSON({
  nested: {
    tensorboard: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['fileVersion', 'graphDef', 'summary'] } },
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            graphDef: { type: 'bytes', id: 4 },
            summary: { type: 'Summary', id: 5 },
            sourceMetadata: { type: 'SourceMetadata', id: 10 },
          },
        },
        SourceMetadata: { fields: { writer: { type: 'string', id: 1 } } },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Value: {
              fields: {
                tag: { type: 'string', id: 1 },
                simpleValue: { type: 'float', id: 2 },
                tensor: { type: 'TensorProto', id: 8 },
                metadata: { type: 'SummaryMetadata', id: 9 },
              },
            },
          },
        },
        SummaryMetadata: {
          fields: {
            pluginData: { type: 'PluginData', id: 1 },
            displayName: { type: 'string', id: 2 },
            summaryDescription: { type: 'string', id: 3 },
          },
          nested: { PluginData: { fields: { pluginName: { type: 'string', id: 1 }, content: { type: 'bytes', id: 2 } } } },
        },
        TensorProto: {
          fields: {
            dtype: { type: 'int32', id: 1 },
            tensorShape: { type: 'TensorShapeProto', id: 2 },
            tensorContent: { type: 'bytes', id: 4 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dim', id: 2 } },
          nested: { Dim: { fields: { size: { type: 'int64', id: 1 }, name: { type: 'string', id: 2 } } } },
        },
        GraphDef: { fields: { node: { rule: 'repeated', type: 'NodeDef', id: 1 } } },
        NodeDef: {
          fields: {
            name: { type: 'string', id: 1 },
            op: { type: 'string', id: 2 },
            input: { rule: 'repeated', type: 'string', id: 3 },
          },
        },
      },
    },
  },
});

export const EventMessage = root.lookupType('tensorboard.Event');
export const GraphDefMessage = root.lookupType('tensorboard.GraphDef');

/** A summary value's tensor: a dtype, a shape, and the values' little-endian bytes. */
export interface TensorValue {
  dtype: number;
  shape: number[];
  content: Uint8Array;
}

/** One Event with one summary value, as tf.summary writes each scalar or histogram. */
export function summaryEvent(wallTime: number, step: number, tag: string, pluginName: string, tensor: TensorValue): Uint8Array {
  const event = EventMessage.create({
    wallTime,
    step,
    summary: {
      value: [
        {
          tag,
          metadata: { pluginData: { pluginName } },
          tensor: { dtype: tensor.dtype, tensorShape: { dim: tensor.shape.map((size) => ({ size })) }, tensorContent: tensor.content },
        },
      ],
    },
  });
  return EventMessage.encode(event).finish();
}

/** The first Event of every file: the format version. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return EventMessage.encode(EventMessage.create({ wallTime, fileVersion: 'brain.Event:2', sourceMetadata: { writer: 'kiln-nn' } })).finish();
}

/** An Event that carries a serialized GraphDef (TensorBoard's Graphs tab). */
export function graphEvent(wallTime: number, nodes: { name: string; op: string; input: string[] }[]): Uint8Array {
  const graphDef = GraphDefMessage.encode(GraphDefMessage.create({ node: nodes })).finish();
  return EventMessage.encode(EventMessage.create({ wallTime, graphDef })).finish();
}
