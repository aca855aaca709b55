// Collects an ONNX graph's nodes and initializers with unique names; converters add to it.
import { type AttributeProto, type NodeProto, OnnxAttributeType, OnnxDataType, type TensorProto } from './onnx_proto.js';

/** A float attribute (plain numbers are integer attributes, as most ONNX attributes are). */
export class FloatAttribute {
  constructor(readonly values: number | number[]) {}
}

export const float = (value: number) => new FloatAttribute(value);
export const floats = (values: number[]) => new FloatAttribute(values);

export type AttributeValue = number | number[] | string | string[] | FloatAttribute;

function attribute(name: string, value: AttributeValue): AttributeProto {
  const encoder = new TextEncoder();
  if (value instanceof FloatAttribute) {
    return Array.isArray(value.values) ? { name, type: OnnxAttributeType.FLOATS, floats: value.values } : { name, type: OnnxAttributeType.FLOAT, f: value.values };
  }
  if (typeof value === 'string') return { name, type: OnnxAttributeType.STRING, s: encoder.encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`ONNX attribute '${name}' must be an integer (wrap floats with float()), got ${value}`);
    return { name, type: OnnxAttributeType.INT, i: value };
  }
  if (value.every((v): v is string => typeof v === 'string')) return { name, type: OnnxAttributeType.STRINGS, strings: value.map((v) => encoder.encode(v)) };
  return { name, type: OnnxAttributeType.INTS, ints: value as number[] };
}

/** A constant's values in row-major order with its shape. */
export interface ConstantValue {
  shape: number[];
  values: Float32Array;
}

export class OnnxGraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly taken = new Set<string>();
  /** Prefix of the node names added now: the layer being converted. */
  scope = '';

  /** `base`, or `base_1`, `base_2`, ... when taken. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  /** Adds a node with one output and returns that output's name. */
  add(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.addWithOutputs(opType, inputs, 1, attributes)[0];
  }

  /**
   * Adds a node with several outputs; `outputs` is their count, or a list saying which of them
   * are used (unused optional outputs get ONNX's empty name).
   */
  addWithOutputs(opType: string, inputs: string[], outputs: number | boolean[], attributes: Record<string, AttributeValue> = {}): string[] {
    const prefix = this.scope ? `${this.scope}/` : '';
    const name = this.uniqueName(`${prefix}${opType}`);
    const used = typeof outputs === 'number' ? new Array<boolean>(outputs).fill(true) : outputs;
    const output = used.map((u, i) => (u ? this.uniqueName(`${name}:${i}`) : ''));
    this.nodes.push({ name, opType, input: inputs, output, attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)) });
    return output;
  }

  /** A float32 initializer. */
  floatInitializer(base: string, value: ConstantValue): string {
    const name = this.uniqueName(base);
    const bytes = new Uint8Array(value.values.buffer, value.values.byteOffset, value.values.byteLength);
    this.initializers.push({ name, dims: value.shape, dataType: OnnxDataType.FLOAT, rawData: littleEndian(bytes, 4) });
    return name;
  }

  /** A float32 scalar constant (for arithmetic such as GELU's). */
  scalar(value: number): string {
    return this.floatInitializer(`${this.scope || 'constant'}/scalar`, { shape: [], values: Float32Array.of(value) });
  }

  /** A 1-D int64 initializer (shapes, axes, slice bounds). */
  int64Initializer(base: string, values: (number | bigint)[]): string {
    const name = this.uniqueName(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: OnnxDataType.INT64, rawData: littleEndian(new Uint8Array(data.buffer), 8) });
    return name;
  }
}

const bigEndianHost = new Uint8Array(Uint16Array.of(1).buffer)[0] === 0;

/** ONNX stores raw data little-endian; typed arrays use the host's order. */
function littleEndian(bytes: Uint8Array, width: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  if (bigEndianHost) for (let i = 0; i < copy.length; i += width) copy.subarray(i, i + width).reverse();
  return copy;
}
