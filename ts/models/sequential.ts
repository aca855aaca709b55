import { ValueError } from '../errors.js';
import { InputLayer } from '../layers/core/input_layer.js';
import { Layer } from '../layers/layer.js';
import { SymbolicTensor } from '../symbolic.js';
import { describeValue } from '../utils/options.js';
import { checkedMainArguments } from '../layers/main_arguments.js';
import { Model } from './model.js';

/**
 * A plain stack of layers, each feeding the next.
 * @example
 * ```ts
 * const model = new kiln.Sequential([
 *   kiln.Input({ shape: [784] }),
 *   new kiln.layers.Dense(64, { activation: 'relu' }),
 *   new kiln.layers.Dense(10, { activation: 'softmax' }),
 * ]);
 * model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
 * await model.fit(x, y, { epochs: 3 });
 * ```
 */
export class Sequential extends Model {
  private readonly stack: Layer[] = [];
  private input?: InputLayer;

  /** `new Sequential([...], { name })`, or the options form `new Sequential({ layers, name })`. */
  constructor(layers: (Layer | Model | SymbolicTensor)[] | { layers?: (Layer | Model | SymbolicTensor)[]; name?: string } = [], args: { name?: string } = {}) {
    super();
    const split = checkedMainArguments<{ name?: string }>('Sequential', [layers, args], ['layers'], ['name']);
    [layers, args] = [(split.main[0] ?? []) as (Layer | Model | SymbolicTensor)[], split.options];
    if (!Array.isArray(layers)) throw new ValueError(`Sequential: \`layers\` must be a list of layers, got ${describeValue(layers)}`);
    if (args.name) this.name = args.name;
    for (const layer of layers) this.add(layer);
  }

  /** Adds a layer (or a built model, used as one layer) on top of the stack. */
  add(added: Layer | Model | SymbolicTensor): void {
    // `kiln.Input(...)` first, the Keras 3 idiom, stands for its InputLayer.
    if (added instanceof SymbolicTensor && added.sourceLayer instanceof InputLayer && added.spec.op === 'input') added = added.sourceLayer;
    // A model is called like a layer (see Model.apply) and listed as one.
    const layer = added as Layer;
    if (!(added instanceof Layer) && !(added instanceof Model && added.built)) {
      throw new ValueError(`Only instances of kiln.layers.Layer, kiln.Input() tensors and built models can be added to a Sequential model. Received: ${describeValue(added)}`);
    }
    if ((added as unknown) === this || (added instanceof Model && containsModel(added, this))) {
      throw new ValueError(`A model cannot be added to itself: "${this.name}" would contain itself`);
    }
    if (layer instanceof InputLayer) {
      if (this.stack.length > 0 || this.input) throw new ValueError('An InputLayer can only be the first layer of a Sequential model');
      this.input = layer;
      this.rebuild();
      return;
    }
    if (this.stack.includes(layer)) throw new ValueError(`Layer "${layer.name}" is already in this model`);
    this.stack.push(layer);
    const declared = added instanceof Model ? added.inputs[0]?.shape : layer.batchInputShape;
    if (this.stack.length === 1 && declared && !this.input) this.input = new InputLayer({ batchShape: declared });
    this.rebuild(true);
  }

  /** Removes the last layer. */
  pop(): Layer {
    const layer = this.stack.pop();
    if (!layer) throw new ValueError('There are no layers in the model');
    this.rebuild();
    return layer;
  }

  get layers(): Layer[] {
    return [...this.stack];
  }

  /** Builds the graph for samples of `inputShape` (without the batch axis). */
  build(inputShape: number[]): void {
    if (!this.input) this.input = new InputLayer({ batchShape: [null, ...inputShape] });
    this.rebuild();
  }

  protected ensureBuilt(sampleShape?: number[]): void {
    if (!this.built && sampleShape) this.build(sampleShape);
    super.ensureBuilt(sampleShape);
  }

  /**
   * Applies the layers to the input. After an add only the new layer is applied to the last
   * output (`appended`): applying every layer again on each add made building n layers cost
   * n^3 (each layer kept a node per rebuild).
   */
  private rebuild(appended = false): void {
    if (!this.input || this.stack.length === 0) {
      this.lastOutput = undefined;
      return;
    }
    const previous = appended && this.stack.length > 1 ? this.lastOutput : undefined;
    let x: SymbolicTensor = previous ?? this.input.output;
    for (const layer of previous ? this.stack.slice(-1) : this.stack) x = layer.apply(x);
    this.setGraph(this.input.output, x, previous !== undefined);
    this.lastOutput = x;
  }

  /** The output of the layers as last built, for an add to extend. */
  private lastOutput?: SymbolicTensor;
}

/** Whether `target` is one of `model`'s layers, at any depth of nested models. */
function containsModel(model: Model, target: Model, seen = new Set<Model>()): boolean {
  seen.add(model);
  for (const layer of model.layers as unknown[]) {
    if (layer === target) return true;
    if (layer instanceof Model && !seen.has(layer) && containsModel(layer, target, seen)) return true;
  }
  return false;
}
