import { ValueError } from '../../errors.js';
import { repeatAxes, resizeLinear } from '../../ops/resampling.js';
import type { Shape } from '../../symbolic.js';
import { normalizeTuple } from '../convolutional/base_conv.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { mainArguments } from '../main_arguments.js';

export interface UpSampling2DArgs extends LayerArgs {
  /** Factors for rows and columns; default 2 (both). */
  size?: number | [number, number];
  /** 'nearest' (default: repeats rows and columns) or 'bilinear'. */
  interpolation?: 'nearest' | 'bilinear';
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** Enlarges images [batch, height, width, channels] `size` times along height and width. */
export class UpSampling2D extends Layer {
  /** The factors for rows and columns. */
  readonly size: number[];
  /** 'nearest' or 'bilinear'. */
  readonly interpolation: 'nearest' | 'bilinear';

  constructor(size?: number | [number, number] | UpSampling2DArgs, args: UpSampling2DArgs = {}) {
    const { main, options } = mainArguments<UpSampling2DArgs>([size, args], ['size']);
    const { interpolation = 'nearest', dataFormat, ...rest } = options;
    super(rest);
    this.size = normalizeTuple((main[0] as number | number[] | undefined) ?? 2, 2, 'size', this.name);
    const mode = String(interpolation).toLowerCase();
    if (mode !== 'nearest' && mode !== 'bilinear') {
      throw new ValueError(`Layer "${this.name}": interpolation must be 'nearest' or 'bilinear' (others are not supported yet), got '${interpolation}'`);
    }
    this.interpolation = mode;
    if (dataFormat !== undefined && dataFormat !== 'channels_last') {
      throw new ValueError(`Layer "${this.name}": only dataFormat 'channels_last' is supported, got '${dataFormat}'`);
    }
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, 4);
  }

  call(inputs: LayerInput): LayerOutput {
    const factors = [1, this.size[0], this.size[1], 1];
    return this.interpolation === 'nearest' ? repeatAxes(inputs, factors) : resizeLinear(inputs, factors);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), size: this.size, interpolation: this.interpolation, dataFormat: 'channels_last' };
  }
}
