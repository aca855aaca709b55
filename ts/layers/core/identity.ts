// Keras' Identity: returns its input (a placeholder where a model needs a layer); masks pass through.
import { Layer, type LayerArgs, type LayerInput, type LayerOutput } from '../layer.js';

/** Returns its input unchanged (a placeholder where a model needs a layer); masks pass through. Keras' `Identity`. */
export class Identity extends Layer {
  constructor(args: LayerArgs = {}) {
    super(args);
    this.supportsMasking = true;
  }

  call(inputs: LayerInput | LayerInput[]): LayerOutput {
    return inputs as LayerInput;
  }
}
