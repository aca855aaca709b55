import { ValueError } from '../errors.js';
import * as ops from '../ops.js';
import { tensor } from '../tensor.js';
import type { Variable } from '../variable.js';
import { Layer, type LayerArgs, type LayerConfig, type LayerInput, type LayerOutput } from '../layers/layer.js';
import { mainArguments, describeArgument } from '../layers/main_arguments.js';

export interface LayerScaleArgs extends LayerArgs {
  /** The scales' starting value (ConvNeXt: 1e-6). */
  initValues?: number;
  /** The size of the last axis, one scale per channel. */
  projectionDim?: number;
}

/**
 * Keras' ConvNeXt helper (keras.applications.convnext.LayerScale): multiplies each channel of
 * the last axis by a learned scale that starts at `initValues`.
 */
export class LayerScale extends Layer {
  /** Where Keras defines it, so Keras finds the class when it loads kiln's files. */
  static readonly kerasModule = 'keras.src.applications.convnext';
  /** The scales' starting value. */
  readonly initValues: number;
  /** The size of the last axis: one scale per channel. */
  readonly projectionDim: number;
  /** The learned scales [projectionDim] (after build). */
  gamma!: Variable;

  constructor(initValues: number | LayerScaleArgs, projectionDim?: number, args: LayerScaleArgs = {}) {
    const { main, options } = mainArguments<LayerScaleArgs>([initValues, projectionDim, args], ['initValues', 'projectionDim']);
    super(options);
    const [init, dim] = main as [number, number];
    if (typeof init !== 'number' || !Number.isFinite(init)) throw new ValueError(`Layer "${this.name}": initValues must be a number, got ${describeArgument(init)}`);
    if (!Number.isInteger(dim) || dim <= 0) throw new ValueError(`Layer "${this.name}": projectionDim must be a positive integer, got ${describeArgument(dim)}`);
    this.initValues = init;
    this.projectionDim = dim;
  }

  build(): void {
    // Keras names this weight by default ("variable").
    this.gamma = this.addWeight({ name: 'variable', shape: [this.projectionDim], initializer: (shape) => tensor(new Float32Array(shape[0]).fill(this.initValues), shape) });
  }

  call(inputs: LayerInput): LayerOutput {
    return ops.mul(inputs, this.gamma);
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), initValues: this.initValues, projectionDim: this.projectionDim };
  }
}
