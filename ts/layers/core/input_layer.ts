import { ValueError } from '../../errors.js';
import { type Shape, type SymbolicDType, SymbolicTensor } from '../../symbolic.js';
import { uniqueName } from '../../utils/naming.js';
import { checkOptionNames, describeValue, isOptionsObject, formatValue } from '../../utils/options.js';
import { Layer, type LayerInput, type LayerOutput } from '../layer.js';

/** Keras' `keras.Input` / `InputLayer` arguments. */
export interface InputArgs {
  /**
   * Shape of one sample, without the batch axis; null marks an axis whose length varies from
   * batch to batch (Keras' None: `shape: [null]` for variable-length sequences).
   */
  shape?: (number | null)[];
  /** Fixed batch size (default: any). */
  batchSize?: number;
  /** The whole shape, batch axis first (`null` for any); instead of `shape` and `batchSize`. */
  batchShape?: Shape;
  /**
   * The dtype data is converted to when it is fed (default 'float32'): 'int32' inputs (token
   * ids for an Embedding) are truncated to integers, as Keras converts. The engine computes in
   * float32, which holds every integer id below 2^24 exactly. 'string' inputs take text (arrays
   * of JavaScript strings), which stays in JavaScript: only TextVectorization, StringLookup and
   * Hashing may read them, as the model's first layers, and the engine gets their int32 output.
   */
  dtype?: SymbolicDType;
  /** The input's name (default: a unique 'input_layer'); keys of name-keyed input data. */
  name?: string;
}

const INPUT_OPTIONS = ['shape', 'batchSize', 'batchShape', 'dtype', 'name'];
const INPUT_DTYPES: readonly SymbolicDType[] = ['float32', 'int32', 'uint8', 'string'];

/** The batch shape `args` describe, checked, and the dtype, in Keras' words. */
function resolveInput(where: string, args: InputArgs): { batchShape: Shape; dtype: SymbolicDType } {
  checkOptionNames(where, args, INPUT_OPTIONS);
  const { shape, batchSize, batchShape, dtype = 'float32' } = args;
  if (shape !== undefined && batchShape !== undefined) throw new ValueError(`${where}: give either \`shape\` or \`batchShape\`, not both`);
  if (batchShape !== undefined) {
    if (!Array.isArray(batchShape) || batchShape.length < 1 || batchShape.some((d) => d !== null && (!Number.isInteger(d) || d <= 0))) {
      throw new ValueError(`${where}: batchShape must be an array of positive integers or null, got ${describeValue(batchShape)}`);
    }
  } else if (!Array.isArray(shape) || shape.some((d) => d !== null && (!Number.isInteger(d) || d <= 0))) {
    throw new ValueError(
      `${where}: shape must be an array of positive integers or null (a length that varies), got ${Array.isArray(shape) && shape.length <= 8 ? formatValue(shape) : describeValue(shape)}`,
    );
  }
  if (batchSize !== undefined && batchSize !== null && (!Number.isInteger(batchSize) || batchSize <= 0)) {
    throw new ValueError(`${where}: batchSize must be a positive integer, got ${describeValue(batchSize)}`);
  }
  if (!INPUT_DTYPES.includes(dtype)) {
    throw new ValueError(`${where}: dtype must be one of ${INPUT_DTYPES.map((d) => `'${d}'`).join(', ')}, got ${describeValue(dtype)}`);
  }
  return { batchShape: batchShape ?? [batchSize ?? null, ...(shape as (number | null)[])], dtype };
}

/**
 * The layer behind `kiln.Input`: it produces the model's symbolic input. As in Keras,
 * `new InputLayer({ shape: [784] })` (or `new InputLayer([784])`) may start a Sequential.
 */
export class InputLayer extends Layer {
  /** The symbolic tensor it produces: the model's input. */
  readonly output: SymbolicTensor;

  constructor(shape?: (number | null)[] | InputArgs, args: InputArgs = {}) {
    if (shape !== undefined && !Array.isArray(shape) && !isOptionsObject(shape)) {
      throw new ValueError(`InputLayer: \`shape\` must be an array of positive integers (or the options object), got ${describeValue(shape)}`);
    }
    const given: InputArgs = Array.isArray(shape) || shape === undefined ? { ...args, ...(shape === undefined ? {} : { shape }) } : (shape as InputArgs);
    const { batchShape, dtype } = resolveInput('InputLayer', given);
    super({ name: given.name ?? uniqueName('input_layer') });
    this.batchInputShape = batchShape;
    this.output = new SymbolicTensor(batchShape, { op: 'input', shape: batchShape }, [], this.name);
    this.output.dtype = dtype;
    this.output.sourceLayer = this;
    this.lastOutputShape = batchShape;
    this.built = true;
  }

  /** The dtype fed data is converted to ('string': text, kept in JavaScript). */
  get dtype(): SymbolicDType {
    return this.output.dtype;
  }

  call(inputs: LayerInput): LayerOutput {
    return inputs;
  }
}

/**
 * A symbolic model input (Keras' `keras.Input`): `kiln.Input({ shape: [28, 28, 1] })`, or the
 * shape positionally as Keras' first argument, `kiln.Input([500, 1], { dtype })`.
 */
export function Input(shape: (number | null)[] | InputArgs, args?: Omit<InputArgs, 'shape'>): SymbolicTensor {
  if (Array.isArray(shape)) {
    if (args === undefined) return Input({ shape });
    if (!isOptionsObject(args)) throw new ValueError(`Input: the options after the shape must be an options object such as { dtype: 'int32' }, got ${describeValue(args)}`);
    if ('shape' in args) throw new ValueError('Input: `shape` is given twice: positionally and in the options');
    return Input({ ...args, shape });
  }
  if (!isOptionsObject(shape)) {
    throw new ValueError(`Input: expected a shape such as [784] or an options object such as { shape: [784] }, got ${describeValue(shape)}`);
  }
  if (args !== undefined) throw new ValueError(`Input: with an options object, nothing may follow it (put every option in it), got ${describeValue(args)}`);
  resolveInput('Input', shape);
  return new InputLayer(shape).output;
}
