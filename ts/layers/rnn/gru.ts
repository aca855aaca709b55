import { ValueError } from '../../errors.js';
import { BaseRNN, type GatedRNNArgs } from './base_rnn.js';
import { mainArguments } from '../main_arguments.js';

export interface GRUArgs extends GatedRNNArgs {
  /** Apply the reset gate after the recurrent matrix (Keras 3's default true; the only mode here). */
  resetAfter?: boolean;
}

/** Gated recurrent unit (Cho 2014), Keras' reset_after variant: gates z, r, h; bias [2, 3·units]. */
export class GRU extends BaseRNN {
  constructor(units: number | (GRUArgs & { units: number }), args: GRUArgs = {}) {
    const { main, options } = mainArguments<GRUArgs>([units, args], ['units']);
    [units, args] = [main[0] as number, options];
    super('gru', units, args, ['recurrentActivation', 'resetAfter']);
    if (args.resetAfter === false) throw new ValueError(`Layer "${this.name}": resetAfter: false is not supported yet (Keras 3's default, true, is)`);
  }

  protected get gates(): number {
    return 3;
  }

  /** @internal Two bias rows with resetAfter, as Keras. */
  protected biasShape(): number[] {
    return [2, 3 * this.units];
  }
}
