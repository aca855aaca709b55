import type { LayerArgs } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseMargins } from './base_margins.js';

type Margins3D = number | [number | [number, number], number | [number, number], number | [number, number]];

export interface Cropping3DArgs extends LayerArgs {
  /** Default 1 (Keras' ((1, 1), (1, 1), (1, 1))). */
  cropping?: Margins3D;
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** Cuts planes, rows and columns from the edges of volumes [batch, depth, height, width, channels]. */
export class Cropping3D extends BaseMargins {
  constructor(cropping?: Margins3D | Cropping3DArgs, args: Cropping3DArgs = {}) {
    const { main, options } = mainArguments<Cropping3DArgs>([cropping, args], ['cropping']);
    super(3, -1, 'cropping', main[0] ?? 1, options);
  }
}
