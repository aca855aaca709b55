import { ValueError } from '../../errors.js';
import { type Shape, SymbolicTensor } from '../../symbolic.js';
import { uniqueName } from '../../utils/naming.js';
import { Layer, type LayerInput, type LayerOutput } from '../layer.js';

/** The layer behind `kiln.Input`: it produces the model's symbolic input. */
export class InputLayer extends Layer {
  readonly output: SymbolicTensor;

  constructor(shape: Shape, name?: string) {
    super({ name: name ?? uniqueName('input_layer') });
    this.batchInputShape = shape;
    this.output = new SymbolicTensor(shape, { op: 'input', shape }, [], this.name);
    this.output.sourceLayer = this;
    this.lastOutputShape = shape;
    this.built = true;
  }

  call(inputs: LayerInput): LayerOutput {
    return inputs;
  }
}

export interface InputArgs {
  /**
   * Shape of one sample, without the batch axis; null marks an axis whose length varies from
   * batch to batch (Keras' None: `shape: [null]` for variable-length sequences).
   */
  shape: (number | null)[];
  /** Fixed batch size (default: any). */
  batchSize?: number;
  name?: string;
}

/** A symbolic model input (Keras' `keras.Input`). */
export function Input(args: InputArgs): SymbolicTensor {
  if (!args || !Array.isArray(args.shape) || args.shape.some((d) => d !== null && (!Number.isInteger(d) || d <= 0))) {
    throw new ValueError(`Input: shape must be an array of positive integers or null (a length that varies), got ${JSON.stringify(args?.shape)}`);
  }
  return new InputLayer([args.batchSize ?? null, ...args.shape], args.name).output;
}
