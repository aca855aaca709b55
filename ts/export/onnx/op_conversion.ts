// What a converter sees of the graph node it turns into ONNX nodes.
import type { OpSpec, SymbolicTensor } from '../../symbolic.js';
import type { ConstantValue, OnnxGraphBuilder } from './graph_builder.js';

/** The ops a graph node can hold (kiln-core's `Op`). */
export type OpKind = OpSpec['op'];

export interface OpConversion<S extends OpSpec = OpSpec> {
  builder: OnnxGraphBuilder;
  /** The kiln graph node: its `shape` and `inputs`. */
  node: SymbolicTensor;
  /** The node's op and settings, as the engine reads them (narrowed to the ops its converter handles). */
  spec: S;
  /** The layer that recorded the node (for node names and messages). */
  layerName: string;
  /** The ONNX value name of input `i`, converting it first if needed. */
  input(i: number): string;
  /**
   * Input `i`'s values when it is constant at export time (a weight, a literal, or a reshape
   * of one), so converters can store it in ONNX's layout; undefined otherwise.
   */
  constant(i: number): ConstantValue | undefined;
}

/** Emits the ONNX nodes computing one kiln op and returns the name of their result. */
export type OpConverter<K extends OpKind = OpKind> = (op: OpConversion<Extract<OpSpec, { op: K }>>) => string;
