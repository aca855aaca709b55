// The base of Keras' image augmentation layers (RandomFlip, RandomRotation, RandomZoom,
// RandomTranslation, RandomContrast, RandomBrightness, RandomCrop): in a model the engine augments each
// image while fitting and passes images through unchanged at inference; eager calls are
// inference. Factors, fill modes and value ranges are checked here once, in Keras' words.
import { ValueError } from '../../errors.js';
import { augment, type Augmentation, type FillMode, type Interpolation } from '../../ops/augment.js';
import { SymbolicTensor } from '../../symbolic.js';
import { describeValue } from '../../utils/options.js';
import { everyMember } from '../../utils/type_lists.js';
import { type CallOptions, Layer, type LayerArgs, type LayerInput, type LayerOutput } from '../layer.js';

export const FILL_MODES: readonly FillMode[] = everyMember<FillMode>()(['reflect', 'wrap', 'constant', 'nearest']);
export const INTERPOLATIONS: readonly Interpolation[] = everyMember<Interpolation>()(['nearest', 'bilinear']);

/** A factor as Keras takes it: one number f, read as (-f, f) (or as `single(f)`), or [lower, upper]. */
export type Factor = number | [number, number];

export interface ImageAugmentationArgs extends LayerArgs {
  /** Only null: kiln draws from the engine's generator, seeded by `kiln.setSeed`. */
  seed?: number | null;
  /** Only 'channels_last'. */
  dataFormat?: string | null;
}

/** The resampling options of RandomRotation, RandomTranslation and RandomZoom. */
export interface ResampleArgs {
  /** How points outside the image are filled: 'reflect' (default), 'wrap', 'constant', 'nearest'. */
  fillMode?: FillMode;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: Interpolation;
  /** The value of 'constant' fill (default 0). */
  fillValue?: number;
}

export const IMAGE_AUGMENTATION_OPTIONS = ['seed', 'dataFormat'];
export const RESAMPLE_OPTIONS = ['fillMode', 'interpolation', 'fillValue'];

/**
 * Base of the random image augmentation layers (RandomFlip, RandomRotation, ...): they change
 * images [batch, height, width, channels] randomly while training, drawn from the engine's
 * generator (seeded by `kiln.setSeed`), and are the identity at inference. A per-layer `seed`
 * and any dataFormat but 'channels_last' are refused.
 */
export abstract class BaseImageAugmentation extends Layer {
  constructor(args: ImageAugmentationArgs, ownOptions: string[]) {
    const { seed = null, dataFormat = null, ...rest } = args;
    super(rest, [...IMAGE_AUGMENTATION_OPTIONS, ...ownOptions]);
    if (seed !== null)
      throw new ValueError(`${this.where}: a per-layer \`seed\` is not supported; kiln's augmentation draws from the engine's generator, which kiln.setSeed(${describeValue(seed)}) seeds`);
    if (dataFormat !== null && dataFormat !== 'channels_last') throw new ValueError(`${this.where}: only dataFormat 'channels_last' is supported, got ${describeValue(dataFormat)}`);
  }

  /** @internal The layer's name and class, for messages. */
  protected get where(): string {
    return `Layer "${this.name}" (${this.constructor.name})`;
  }

  /** What the engine applies in training. */
  protected abstract augmentation(): Augmentation;

  call(inputs: LayerInput, options: CallOptions = {}): LayerOutput {
    if (inputs instanceof SymbolicTensor) {
      if (inputs.shape.length !== 4) throw new ValueError(`${this.where}: expected images [batch, height, width, channels] (rank 4), got shape [${inputs.shape.map((d) => d ?? 'null')}]`);
      return augment(inputs, this.augmentation());
    }
    // Eager calls are inference, where augmentation is the identity; training happens in fit.
    if (options.training === true) throw new ValueError(`${this.where}: eager calls run in inference mode; augmentation is applied by the engine in fit() (put the layer in the model)`);
    return inputs;
  }

  /** Checks a factor and returns [lower, upper]; one number f is `single(f)`. */
  protected factorRange(name: string, value: unknown, bounds: [number, number], single: (f: number) => [number, number] = (f) => [-Math.abs(f), Math.abs(f)], ordered = true): [number, number] {
    const range = typeof value === 'number' ? single(value) : value;
    const ok = Array.isArray(range) && range.length === 2 && range.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= bounds[0] && v <= bounds[1]) && (!ordered || range[0] <= range[1]);
    const pair = ordered ? 'a pair [lower, upper] with lower <= upper' : 'a pair [lower, upper]';
    if (!ok) throw new ValueError(`${this.where}: \`${name}\` must be a number or ${pair}, within [${bounds[0]}, ${bounds[1]}]; got ${describeValue(range)}`);
    return [range[0], range[1]] as [number, number];
  }

  /** Checks fillMode, interpolation and fillValue. */
  protected resample(args: ResampleArgs): { fill_mode: FillMode; interpolation: Interpolation; fill_value: number } {
    const { fillMode = 'reflect', interpolation = 'bilinear', fillValue = 0 } = args;
    if (!FILL_MODES.includes(fillMode)) throw new ValueError(`${this.where}: unknown \`fillMode\` ${describeValue(fillMode)}; expected one of ${FILL_MODES.map((m) => `'${m}'`).join(', ')}`);
    if (!INTERPOLATIONS.includes(interpolation))
      throw new ValueError(`${this.where}: unknown \`interpolation\` ${describeValue(interpolation)}; expected one of ${INTERPOLATIONS.map((m) => `'${m}'`).join(', ')}`);
    if (typeof fillValue !== 'number' || !Number.isFinite(fillValue)) throw new ValueError(`${this.where}: \`fillValue\` must be a finite number, got ${describeValue(fillValue)}`);
    return { fill_mode: fillMode, interpolation, fill_value: fillValue };
  }

  /** Checks a [min, max] value range (Keras sorts it). */
  protected checkValueRange(value: unknown): [number, number] {
    if (!Array.isArray(value) || value.length !== 2 || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new ValueError(`${this.where}: \`valueRange\` must be a pair [min, max] of numbers, got ${describeValue(value)}`);
    }
    return [Math.min(value[0], value[1]), Math.max(value[0], value[1])];
  }
}
