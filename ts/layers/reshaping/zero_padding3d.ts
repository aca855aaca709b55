import type { LayerArgs } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseMargins } from './base_margins.js';

type Margins3D = number | [number | [number, number], number | [number, number], number | [number, number]];

export interface ZeroPadding3DArgs extends LayerArgs {
  /** Default 1 (every side of every axis). */
  padding?: Margins3D;
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** Pads volumes [batch, depth, height, width, channels] with planes, rows and columns of zeros. */
export class ZeroPadding3D extends BaseMargins {
  constructor(padding?: Margins3D | ZeroPadding3DArgs, args: ZeroPadding3DArgs = {}) {
    const { main, options } = mainArguments<ZeroPadding3DArgs>([padding, args], ['padding']);
    super(3, 1, 'padding', main[0] ?? 1, options);
  }
}
