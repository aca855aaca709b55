import { ValueError } from '../../errors.js';
import { convTranspose } from '../../ops/conv_transpose.js';
import type { LayerConfig, LayerInput, LayerOutput } from '../layer.js';
import { mainArguments } from '../main_arguments.js';
import { BaseConv, type ConvArgs } from './base_conv.js';

export interface Conv2DTransposeArgs extends ConvArgs {
  /**
   * Extra rows and columns at the end of the output (each less than its stride); default
   * null: Keras' output size rule ('valid': (in - 1) * strides + max(kernel, strides),
   * 'same': in * strides).
   */
  outputPadding?: number | [number, number] | null;
}

/**
 * Transposed 2-D convolution (sometimes called deconvolution) over images
 * [batch, height, width, channels]: the gradient of a Conv2D with respect to its input, used
 * to upsample in decoders. The kernel has Keras' shape [kh, kw, filters, channels].
 */
export class Conv2DTranspose extends BaseConv {
  readonly outputPadding: number[] | null;

  constructor(filters: number | (Conv2DTransposeArgs & { filters: number; kernelSize: number | [number, number] }), kernelSize?: number | [number, number], args: Conv2DTransposeArgs = {}) {
    const { main, options } = mainArguments<Conv2DTransposeArgs>([filters, kernelSize, args], ['filters', 'kernelSize']);
    const { outputPadding = null, ...convArgs } = options;
    super(2, main[0] as number, main[1] as number | number[], convArgs, ['outputPadding']);
    if (outputPadding === null) {
      this.outputPadding = null;
    } else {
      const pads = Array.isArray(outputPadding) ? outputPadding : [outputPadding, outputPadding];
      if (pads.length !== 2 || pads.some((p) => !Number.isInteger(p) || p < 0)) {
        throw new ValueError(`Layer "${this.name}": \`outputPadding\` must be a non-negative integer or a list of 2, got ${JSON.stringify(outputPadding)}`);
      }
      pads.forEach((p, i) => {
        if (p >= this.strides[i]) {
          throw new ValueError(`Invalid \`output_padding\` argument. Each value in \`output_padding\` must be strictly less than the corresponding \`strides\` value. At index ${i}, \`output_padding\` is ${p} and \`strides\` is ${this.strides[i]}. Received: output_padding=${JSON.stringify(pads)}, strides=${JSON.stringify(this.strides)}.`);
        }
      });
      this.outputPadding = pads;
    }
  }

  /** Keras' transposed layout: [kh, kw, filters, input channels]. */
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
