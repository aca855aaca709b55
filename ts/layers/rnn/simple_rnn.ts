import { BaseRNN, type RNNArgs } from './base_rnn.js';
import { mainArguments } from '../main_arguments.js';

/** A fully connected recurrent layer: h_t = activation(x_t · kernel + h_{t-1} · recurrent_kernel + bias). */
export class SimpleRNN extends BaseRNN {
  constructor(units: number | (RNNArgs & { units: number }), args: RNNArgs = {}) {
    const { main, options } = mainArguments<RNNArgs>([units, args], ['units']);
    [units, args] = [main[0] as number, options];
    super('simple', units, args);
  }

  protected get gates(): number {
    return 1;
  }
}
