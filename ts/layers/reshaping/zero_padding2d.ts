import type { LayerArgs } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseMargins } from './base_margins.js';

export interface ZeroPadding2DArgs extends LayerArgs {
  /** Default 1. */
  padding?: number | [number | [number, number], number | [number, number]];
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** Pads images [batch, height, width, channels] with rows and columns of zeros. */
export class ZeroPadding2D extends BaseMargins {
  constructor(padding?: number | [number | [number, number], number | [number, number]] | ZeroPadding2DArgs, args: ZeroPadding2DArgs = {}) {
    const { main, options } = mainArguments<ZeroPadding2DArgs>([padding, args], ['padding']);
    super(2, 1, 'padding', main[0] ?? 1, options);
  }
}
