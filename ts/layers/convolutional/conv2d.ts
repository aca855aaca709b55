import { mainArguments } from '../main_arguments.js';
import { BaseConv, type ConvArgs } from './base_conv.js';

/**
 * 2-D convolution over images [batch, height, width, channels].
 * Options: `strides` (default 1), `padding` ('valid', the default, or 'same'), `dilationRate`
 * (default 1), `groups` (default 1), `activation` (default none), `useBias` (default true),
 * initializers ('glorot_uniform' kernel, 'zeros' bias), regularizers and constraints. Only
 * `dataFormat: 'channels_last'` is supported.
 * @example
 * ```ts
 * const model = new kiln.Sequential([
 *   kiln.Input({ shape: [28, 28, 1] }),
 *   new kiln.layers.Conv2D(32, 3, { activation: 'relu', padding: 'same' }),
 *   new kiln.layers.MaxPooling2D(2),
 *   new kiln.layers.Flatten(),
 *   new kiln.layers.Dense(10, { activation: 'softmax' }),
 * ]);
 * ```
 */
export class Conv2D extends BaseConv {
  constructor(filters: number | (ConvArgs & { filters: number; kernelSize: number | [number, number] }), kernelSize?: number | [number, number], args: ConvArgs = {}) {
    const { main, options } = mainArguments<ConvArgs>([filters, kernelSize, args], ['filters', 'kernelSize']);
    super(2, main[0] as number, main[1] as number | [number, number], options, ['groups']);
  }
}
