import { ValueError } from '../errors.js';
import * as ops from '../ops.js';
import { BaseMerge } from '../layers/merging/base_merge.js';
import type { LayerArgs, LayerConfig, LayerInput, LayerOutput } from '../layers/layer.js';
import { mainArguments, describeArgument } from '../layers/main_arguments.js';

export interface CustomScaleLayerArgs extends LayerArgs {
  /** The factor of the residual branch. */
  scale?: number;
}

/**
 * Keras' InceptionResNetV2 helper (keras.applications.inception_resnet_v2.CustomScaleLayer):
 * called on [shortcut, residual], returns shortcut + residual · scale.
 */
export class CustomScaleLayer extends BaseMerge {
  /** Where Keras defines it, so Keras finds the class when it loads kiln's files. */
  static readonly kerasModule = 'keras.src.applications.inception_resnet_v2';
  /** The factor of the residual branch. */
  readonly scale: number;

  constructor(scale: number | CustomScaleLayerArgs, args: CustomScaleLayerArgs = {}) {
    const { main, options } = mainArguments<CustomScaleLayerArgs>([scale, args], ['scale']);
    super(options, [], 2);
    if (typeof main[0] !== 'number' || !Number.isFinite(main[0])) throw new ValueError(`Layer "${this.name}": scale must be a number, got ${describeArgument(main[0])}`);
    this.scale = main[0];
  }

  protected merge([shortcut, residual]: LayerInput[]): LayerOutput {
    return ops.add(shortcut, ops.mul(residual, this.scale));
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), scale: this.scale };
  }
}
