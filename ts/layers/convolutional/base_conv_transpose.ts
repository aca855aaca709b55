import { ValueError } from '../../errors.js';
import { convTranspose } from '../../ops/conv_transpose.js';
import type { LayerConfig, LayerInput, LayerOutput } from '../layer.js';
import { BaseConv, type ConvArgs } from './base_conv.js';
import { describeArgument } from '../main_arguments.js';

export interface ConvTransposeArgs extends ConvArgs {
  /**
   * Extra entries at the end of each spatial axis of the output (each less than its stride);
   * default null: Keras' output size rule ('valid': (in - 1) * strides + max(kernel, strides),
   * 'same': in * strides).
   */
  outputPadding?: number | number[] | null;
}

/**
 * Transposed convolution over `rank` spatial axes, channels last (Conv1DTranspose,
 * Conv2DTranspose, Conv3DTranspose): the gradient of a convolution with respect to its input, used to upsample
 * in decoders. The kernel has Keras' shape [...kernelSize, filters, channels].
 */
export abstract class BaseConvTranspose extends BaseConv {
  /** Extra rows and columns at the end of the output along each spatial axis, or null (inferred). */
  readonly outputPadding: number[] | null;

  constructor(rank: 1 | 2 | 3, filters: number, kernelSize: number | number[], args: ConvTransposeArgs = {}) {
    const { outputPadding = null, ...convArgs } = args;
    super(rank, filters, kernelSize, convArgs, ['outputPadding']);
    if (outputPadding === null) {
      this.outputPadding = null;
    } else {
      const pads = Array.isArray(outputPadding) ? outputPadding : new Array(rank).fill(outputPadding);
      if (pads.length !== rank || pads.some((p) => !Number.isInteger(p) || p < 0)) {
        throw new ValueError(`Layer "${this.name}": \`outputPadding\` must be a non-negative integer or a list of ${rank}, got ${describeArgument(outputPadding)}`);
      }
      pads.forEach((p, i) => {
        if (p >= this.strides[i]) {
          throw new ValueError(
            `Invalid \`output_padding\` argument. Each value in \`output_padding\` must be strictly less than the corresponding \`strides\` value. At index ${i}, \`output_padding\` is ${p} and \`strides\` is ${this.strides[i]}. Received: output_padding=${JSON.stringify(pads)}, strides=${JSON.stringify(this.strides)}.`,
          );
        }
      });
      this.outputPadding = pads;
    }
  }

  /** Keras' transposed layout: [...kernelSize, filters, input channels]. */
  protected kernelShape(channels: number): number[] {
    return [...this.kernelSize, this.filters, channels];
  }

  protected convolve(inputs: LayerInput): LayerOutput {
    return convTranspose(inputs, this.kernel, { strides: this.strides, padding: this.padding, outputPadding: this.outputPadding, dilationRate: this.dilationRate });
  }

  getConfig(): LayerConfig {
    return { ...super.getConfig(), outputPadding: this.outputPadding };
  }
}
