// keras.io's TransformerBlock without the attention, plus a list and a dict of layers: the custom
// layer of scripts/fixtures/keras_nested_layers.py and keras_layer_tracking.py, ported line for
// line. Each spec registers it under the package its fixture script used.
import * as kiln from 'kiln-nn';

const { Dense, LayerNormalization } = kiln.layers;

/** The fixture scripts' HeldLayersBlock, ported line for line. */
export class HeldLayersBlock extends kiln.layers.Layer {
  ffn: kiln.Sequential;
  projections: kiln.layers.Layer[];
  gates: { query: kiln.layers.Dense; value: kiln.layers.Dense };
  layernorm1: kiln.layers.LayerNormalization;
  layernorm2: kiln.layers.LayerNormalization;
  constructor(
    readonly embedDim: number,
    readonly ffDim: number,
    args: kiln.layers.LayerArgs = {},
  ) {
    super(args);
    this.ffn = new kiln.Sequential([new Dense(ffDim, { activation: 'relu' }), new Dense(embedDim)]);
    this.projections = [new Dense(embedDim), new Dense(embedDim, { useBias: false })];
    this.gates = { query: new Dense(embedDim), value: new Dense(embedDim) };
    this.layernorm1 = new LayerNormalization({ epsilon: 1e-6 });
    this.layernorm2 = new LayerNormalization({ epsilon: 1e-6 });
  }
  call(inputs: kiln.layers.LayerInput) {
    let x = inputs as kiln.SymbolicTensor;
    for (const projection of this.projections) x = projection.apply(x) as kiln.SymbolicTensor;
    x = kiln.ops.mul(this.gates.query.apply(x), kiln.ops.sigmoid(this.gates.value.apply(x))) as kiln.SymbolicTensor;
    x = this.layernorm1.apply(x) as kiln.SymbolicTensor;
    return this.layernorm2.apply(kiln.ops.add(x, this.ffn.apply(x)));
  }
  getConfig() {
    return { ...super.getConfig(), embedDim: this.embedDim, ffDim: this.ffDim };
  }
}
