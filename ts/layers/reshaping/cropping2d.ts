import type { LayerArgs } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseMargins } from './base_margins.js';

export interface Cropping2DArgs extends LayerArgs {
  /** Default [[0, 0], [0, 0]]. */
  cropping?: number | [number | [number, number], number | [number, number]];
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** Cuts rows and columns from the edges of images [batch, height, width, channels]. */
export class Cropping2D extends BaseMargins {
  constructor(cropping?: number | [number | [number, number], number | [number, number]] | Cropping2DArgs, args: Cropping2DArgs = {}) {
    const { main, options } = mainArguments<Cropping2DArgs>([cropping, args], ['cropping']);
    super(
      2,
      -1,
      'cropping',
      main[0] ?? [
        [0, 0],
        [0, 0],
      ],
      options,
    );
  }
}
