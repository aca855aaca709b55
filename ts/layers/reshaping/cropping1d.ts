import type { LayerArgs } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseMargins } from './base_margins.js';

export interface Cropping1DArgs extends LayerArgs {
  /** Default [1, 1]. */
  cropping?: number | [number, number];
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** Cuts steps from the start and end of sequences [batch, steps, features]. */
export class Cropping1D extends BaseMargins {
  constructor(cropping?: number | [number, number] | Cropping1DArgs, args: Cropping1DArgs = {}) {
    const { main, options } = mainArguments<Cropping1DArgs>([cropping, args], ['cropping']);
    super(1, -1, 'cropping', main[0] ?? [1, 1], options);
  }
}
