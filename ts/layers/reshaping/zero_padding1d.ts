import type { LayerArgs } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseMargins } from './base_margins.js';

export interface ZeroPadding1DArgs extends LayerArgs {
  /** Default 1. */
  padding?: number | [number, number];
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** Pads sequences [batch, steps, features] with zeros at the start and end of the steps axis. */
export class ZeroPadding1D extends BaseMargins {
  constructor(padding?: number | [number, number] | ZeroPadding1DArgs, args: ZeroPadding1DArgs = {}) {
    const { main, options } = mainArguments<ZeroPadding1DArgs>([padding, args], ['padding']);
    super(1, 1, 'padding', main[0] ?? 1, options);
  }
}
