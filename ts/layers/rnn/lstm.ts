import { tensor } from '../../tensor.js';
import { BaseRNN, type GatedRNNArgs } from './base_rnn.js';
import { mainArguments } from '../main_arguments.js';

export interface LSTMArgs extends GatedRNNArgs {
  /** Start the forget gate's bias at one (Keras' default true). */
  unitForgetBias?: boolean;
}

/** Long short-term memory (Hochreiter 1997), with Keras' gate order i, f, c, o. */
export class LSTM extends BaseRNN {
  /** Whether the forget gate's bias starts at one. */
  readonly unitForgetBias: boolean;

  constructor(units: number | (LSTMArgs & { units: number }), args: LSTMArgs = {}) {
    const { main, options } = mainArguments<LSTMArgs>([units, args], ['units']);
    [units, args] = [main[0] as number, options];
    super('lstm', units, args, ['recurrentActivation', 'unitForgetBias']);
    this.unitForgetBias = args.unitForgetBias ?? true;
  }

  protected get gates(): number {
    return 4;
  }

  protected initialBias(shape: number[]) {
    const values = super.initialBias(shape).dataSync() as Float32Array;
    if (this.unitForgetBias) values.fill(1, this.units, 2 * this.units);
    return tensor(values, shape);
  }
}
