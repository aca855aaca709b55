import { ValueError } from '../../errors.js';
import { repeatAxes } from '../../ops/resampling.js';
import type { Shape } from '../../symbolic.js';
import { normalizeTuple } from '../convolutional/base_conv.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layer.js';
import { mainArguments } from '../main_arguments.js';

export interface UpSampling3DArgs extends LayerArgs {
  /** Factors for depth, height and width; default 2 (all three). */
  size?: number | [number, number, number];
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** Enlarges volumes [batch, depth, height, width, channels] by repeating planes, rows and columns. */
export class UpSampling3D extends Layer {
  /** The factors for depth, height and width. */
  readonly size: number[];

  constructor(size?: number | [number, number, number] | UpSampling3DArgs, args: UpSampling3DArgs = {}) {
    const { main, options } = mainArguments<UpSampling3DArgs>([size, args], ['size']);
    const { dataFormat, ...rest } = options;
    super(rest);
    this.size = normalizeTuple((main[0] as number | number[] | undefined) ?? 2, 3, 'size', this.name);
    if (dataFormat !== undefined && dataFormat !== 'channels_last') {
      throw new ValueError(`Layer "${this.name}": only dataFormat 'channels_last' is supported, got '${dataFormat}'`);
    }
  }

  build(inputShape: Shape): void {
    this.requireRank(inputShape, 5);
  }

  call(inputs: LayerInput): LayerOutput {
    return repeatAxes(inputs, [1, ...this.size, 1]);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), size: this.size, dataFormat: 'channels_last' };
  }
}
