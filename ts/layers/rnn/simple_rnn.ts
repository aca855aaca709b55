import { BaseRNN, type RNNArgs } from './base_rnn.js';

/** A fully connected recurrent layer: h_t = activation(x_t · kernel + h_{t-1} · recurrent_kernel + bias). */
export class SimpleRNN extends BaseRNN {
  constructor(units: number, args: RNNArgs = {}) {
    super('simple', units, args);
  }

  protected get gates(): number {
    return 1;
  }
}
