import { activationName, type ActivationIdentifier, getActivation } from '../../activations.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { mainArguments } from '../main_arguments.js';

/** Applies an activation function by name or as a function. */
export class Activation extends Layer {
  /** The activation applied. */
  readonly activation: ActivationIdentifier;

  constructor(activation: ActivationIdentifier | (LayerArgs & { activation: ActivationIdentifier }), args: LayerArgs = {}) {
    const { main, options } = mainArguments<LayerArgs>([activation, args], ['activation']);
    [activation, args] = [main[0] as ActivationIdentifier, options];
    super(args);
    this.supportsMasking = true;
    getActivation(activation);
    this.activation = activation;
  }

  call(inputs: LayerInput): LayerOutput {
    return getActivation(this.activation)(inputs);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), activation: activationName(this.activation) };
  }
}
