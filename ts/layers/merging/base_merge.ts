import { ShapeError, ValueError } from '../../errors.js';
import type { Shape } from '../../symbolic.js';
import * as ops from '../../ops.js';
import { Layer, type LayerArgs, type LayerInput, type LayerOutput } from '../layer.js';
import { getMask } from '../mask.js';

/** A layer that combines a list of tensors into one (Add, Multiply, Concatenate, ...). */
export abstract class BaseMerge extends Layer {
  constructor(
    args: LayerArgs = {},
    ownOptions: string[] = [],
    private readonly exactly?: number,
  ) {
    super(args, ownOptions);
  }

  build(inputShape: Shape | Shape[]): void {
    const shapes = inputShape as Shape[];
    const isList = Array.isArray(shapes[0]);
    if (!isList || shapes.length < 2 || (this.exactly !== undefined && shapes.length !== this.exactly)) {
      const wanted = this.exactly !== undefined ? `exactly ${this.exactly}` : 'a list of at least 2';
      throw new ValueError(`A merge layer should be called on ${wanted} inputs. Layer "${this.name}" received ${isList ? shapes.length : 1} input${isList && shapes.length === 1 ? '' : 's'}`);
    }
    this.checkShapes(shapes);
  }

  /** Elementwise merges need equal shapes (a 1 broadcasts), batch axis aside. */
  protected checkShapes(shapes: Shape[]): void {
    const ranks = new Set(shapes.map((s) => s.length));
    const sizes = (s: Shape) => s.slice(1);
    const clash = shapes.some((s) => ranks.size > 1 || sizes(s).some((d, k) => d !== null && sizes(shapes[0])[k] !== null && d !== sizes(shapes[0])[k] && d !== 1 && sizes(shapes[0])[k] !== 1));
    if (clash) {
      throw new ShapeError(
        `Inputs of layer "${this.name}" (${this.constructor.name}) must have the same shape. Received: ${shapes.map((s) => `[${s.map((d) => d ?? 'null').join(', ')}]`).join(', ')}`,
      );
    }
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    return this.merge(inputs as LayerInput[]);
  }

  /** Combines the inputs (a subclass's rule: add, concatenate, ...). */
  protected abstract merge(inputs: LayerInput[]): LayerOutput;

  /** Keras 3: a step is present where any input has it; an input without a mask has every step. */
  computeMask(inputs: LayerInput | LayerInput[]): LayerInput | undefined {
    const masks = this.inputMasks(inputs);
    if (masks.some((m) => m === undefined)) return undefined;
    return masks.slice(1).reduce<LayerInput>((any, m) => ops.maximum(any, m!), masks[0]!);
  }

  /** The mask each input carries (undefined where none). */
  protected inputMasks(inputs: LayerInput | LayerInput[]): (LayerInput | undefined)[] {
    return (Array.isArray(inputs) ? inputs : [inputs]).map((t) => getMask(t));
  }
}
