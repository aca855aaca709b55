// What every keras.applications builder shares: its arguments (Keras' names, camelCased, with
// Keras' checks and messages), the input it builds from, the pooling or classifier top, and
// the weights it loads (none, a local file, or Keras' published ImageNet file via the cache).
import { existsSync } from 'node:fs';
import { getActivation, type ActivationIdentifier } from '../activations.js';
import { ValueError } from '../errors.js';
import { Input } from '../layers/core/input_layer.js';
import { Dense } from '../layers/core/dense.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { GlobalMaxPooling2D } from '../layers/pooling/global_max_pooling2d.js';
import { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import { checkOptionNames, describeValue } from '../utils/options.js';
import { type PretrainedFile, pretrainedWeightsPath } from './pretrained_weights.js';

/** The arguments every builder takes (Keras' defaults in brackets, except `weights`). */
export interface ApplicationArgs {
  /** Whether to end with Keras' classifier [true]. */
  includeTop?: boolean;
  /**
   * null (random initialisation, the default here since nothing is fetched unasked), 'imagenet'
   * (Keras' published weights, downloaded once into the cache), or the path of a weights file
   * (`.weights.h5`, `.keras` or legacy `.h5`).
   */
  weights?: string | null;
  /**
   * The image shape without the batch axis, channels last [the family's default size, e.g.
   * [224, 224, 3]]. Keras leaves the size open (`null`) without the top; kiln plans its buffers
   * for one size, so it takes the default size then and refuses `null`.
   */
  inputShape?: (number | null)[];
  /** With `includeTop: false`: 'avg' or 'max' pools the last feature map to a vector [null: no pooling]. */
  pooling?: 'avg' | 'max' | null;
  /** The number of classes of the classifier [1000]. */
  classes?: number;
  /** The classifier's activation ['softmax']; null for logits. */
  classifierActivation?: ActivationIdentifier;
  /** The model's name [the family's]. */
  name?: string;
}

export const APPLICATION_OPTIONS = ['includeTop', 'weights', 'inputShape', 'pooling', 'classes', 'classifierActivation', 'name'] as const;

/** The arguments with Keras' defaults filled in and checked. */
export interface ResolvedApplicationArgs {
  includeTop: boolean;
  weights: string | null;
  inputShape: (number | null)[] | undefined;
  pooling: 'avg' | 'max' | null;
  classes: number;
  classifierActivation: ActivationIdentifier;
  name: string | undefined;
}

/** Keras' checks of the arguments every builder shares (`familyOptions`: the family's own names). */
export function resolveApplicationArgs(builder: string, args: ApplicationArgs | undefined, familyOptions: readonly string[] = []): ResolvedApplicationArgs {
  if (args === undefined || args === null) args = {};
  checkOptionNames(builder, args, [...APPLICATION_OPTIONS, ...familyOptions]);
  const { includeTop = true, weights = null, inputShape, pooling = null, classes = 1000, classifierActivation = 'softmax', name } = args;
  if (typeof includeTop !== 'boolean') throw new ValueError(`${builder}: includeTop must be true or false. Received: includeTop=${describeValue(includeTop)}`);
  if (!(weights === null || weights === 'imagenet' || (typeof weights === 'string' && existsSync(weights)))) {
    throw new ValueError(
      `${builder}: The \`weights\` argument should be either \`null\` (random initialization), 'imagenet' (pre-training on ImageNet), ` +
        `or the path to the weights file to be loaded. Received: weights=${describeValue(weights)}`,
    );
  }
  if (!Number.isInteger(classes) || classes <= 0) throw new ValueError(`${builder}: classes must be a positive integer. Received: classes=${describeValue(classes)}`);
  if (weights === 'imagenet' && includeTop && classes !== 1000) {
    throw new ValueError(`${builder}: If using \`weights='imagenet'\` with \`includeTop: true\`, \`classes\` should be 1000. Received: classes=${classes}`);
  }
  if (pooling !== null && pooling !== 'avg' && pooling !== 'max') {
    throw new ValueError(`${builder}: pooling must be null, 'avg' or 'max'. Received: pooling=${describeValue(pooling)}`);
  }
  if (name !== undefined && typeof name !== 'string') throw new ValueError(`${builder}: name must be a string. Received: name=${describeValue(name)}`);
  if (includeTop) {
    getActivation(classifierActivation); // an unknown name fails here, naming it
    if (weights !== null && !(classifierActivation === null || classifierActivation === 'softmax')) {
      throw new ValueError(
        `${builder}: Only \`null\` and \`softmax\` activations are allowed for the \`classifierActivation\` argument when using ` +
          `pretrained weights, with \`includeTop: true\`; Received: classifierActivation=${describeValue(classifierActivation)}`,
      );
    }
  }
  return { includeTop, weights, inputShape, pooling, classes, classifierActivation, name };
}

/**
 * Keras' `obtain_input_shape`: the image shape (channels last) from the argument, checked against
 * the smallest size the architecture accepts and, with ImageNet weights and the classifier, the
 * size they were trained at.
 */
export function obtainInputShape(builder: string, args: ResolvedApplicationArgs, defaultSize: number, minSize: number): (number | null)[] {
  const { inputShape, weights, includeTop: requireFlatten } = args;
  if (inputShape !== undefined && inputShape !== null) {
    if (!Array.isArray(inputShape) || inputShape.length !== 3 || inputShape.some((d) => d !== null && (!Number.isInteger(d) || d <= 0))) {
      throw new ValueError(`${builder}: \`inputShape\` must be an array of three positive integers (or null for any size). Received: inputShape=${describeValue(inputShape)}`);
    }
  }
  const channels = weights !== 'imagenet' && inputShape ? inputShape[2] : 3;
  const defaultShape = [defaultSize, defaultSize, channels];
  if (weights === 'imagenet' && requireFlatten) {
    if (inputShape?.some((d, i) => d !== defaultShape[i])) {
      throw new ValueError(
        `${builder}: When setting \`includeTop: true\` and loading \`imagenet\` weights, \`inputShape\` should be ${JSON.stringify(defaultShape)}. ` +
          `Received: inputShape=${JSON.stringify(inputShape)}`,
      );
    }
    return defaultShape;
  }
  let shape: (number | null)[];
  if (inputShape) {
    if (inputShape[2] !== 3 && weights === 'imagenet') throw new ValueError(`${builder}: The input must have 3 channels; Received \`inputShape=${JSON.stringify(inputShape)}\``);
    if ((inputShape[0] !== null && inputShape[0] < minSize) || (inputShape[1] !== null && inputShape[1] < minSize)) {
      throw new ValueError(`${builder}: Input size must be at least ${minSize}x${minSize}; Received: inputShape=${JSON.stringify(inputShape)}`);
    }
    shape = inputShape;
  } else {
    // Keras leaves the size open without the top ([null, null, 3]); kiln needs one: the default.
    shape = defaultShape;
  }
  if (requireFlatten && shape.includes(null)) {
    throw new ValueError(`${builder}: If \`includeTop\` is true, you should specify a static \`inputShape\`. Received: inputShape=${JSON.stringify(shape)}`);
  }
  if (shape.includes(null)) {
    // kiln's engine plans every buffer once, for one image size (global pooling needs it).
    throw new ValueError(
      `${builder}: kiln builds an application for one image size: give \`inputShape\` with its height and width ` +
        `(e.g. [${defaultSize}, ${defaultSize}, 3]). Received: inputShape=${JSON.stringify(shape)}`,
    );
  }
  return shape;
}

/** The model's image input. */
export function imageInput(shape: (number | null)[]): SymbolicTensor {
  return Input({ batchShape: [null, ...shape] });
}

/** Layer names for the pooling top where the family names them (ResNet: 'avg_pool', 'max_pool'). */
export interface PoolingNames {
  avg?: string;
  max?: string;
}

/** Without the classifier: Keras' optional global pooling of the last feature map. */
export function poolingTop(x: SymbolicTensor, pooling: 'avg' | 'max' | null, names: PoolingNames = {}): SymbolicTensor {
  if (pooling === 'avg') return new GlobalAveragePooling2D(names.avg ? { name: names.avg } : {}).apply(x) as SymbolicTensor;
  if (pooling === 'max') return new GlobalMaxPooling2D(names.max ? { name: names.max } : {}).apply(x) as SymbolicTensor;
  return x;
}

/** The classifier most families end with: Dense(classes) named 'predictions'. */
export function predictionsLayer(x: SymbolicTensor, args: ResolvedApplicationArgs): SymbolicTensor {
  return new Dense(args.classes, { activation: args.classifierActivation, name: 'predictions' }).apply(x) as SymbolicTensor;
}

/**
 * The finished model: `weights` loaded into it when given (a local file as it is; 'imagenet'
 * through the cache, from `imagenetFile`, which says which published file fits these arguments).
 */
export async function finishApplication(
  builder: string,
  inputs: SymbolicTensor,
  outputs: SymbolicTensor,
  name: string,
  args: ResolvedApplicationArgs,
  imagenetFile: () => PretrainedFile,
): Promise<Model> {
  const model = new Model({ inputs, outputs, name });
  if (args.weights === 'imagenet') await model.loadWeights(await pretrainedWeightsPath(builder, imagenetFile()));
  else if (args.weights !== null) await model.loadWeights(args.weights);
  return model;
}
