// What a converter sees of the graph node it turns into ONNX nodes.
import type { SymbolicTensor } from '../../symbolic.js';
import type { ConstantValue, OnnxGraphBuilder } from './graph_builder.js';

export interface OpConversion {
  builder: OnnxGraphBuilder;
  /** The kiln graph node: its `spec` (op and settings), `shape` and `inputs`. */
  node: SymbolicTensor;
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
export type OpConverter = (op: OpConversion) => string;
