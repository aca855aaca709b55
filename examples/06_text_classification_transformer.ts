// keras.io "Text classification with Transformer" (Apoorv Nandan), ported line for line:
// https://keras.io/examples/nlp/text_classification_with_transformer/
//
// The original trains on the IMDB reviews (kiln.datasets.imdb, downloaded once into the
// cache). With KILN_SYNTHETIC_DATA=1 it trains instead on generated reviews of the same form
// (word indices, sentiment 0/1), KILN_TRAIN_SAMPLES and KILN_EPOCHS making the run short.
import * as kiln from 'kiln-nn';
import { loadReviews } from './imdb_or_synthetic.js';

const { layers, ops } = kiln;

// ## Implement a Transformer block as a layer
class TransformerBlock extends layers.Layer {
  att: kiln.layers.MultiHeadAttention;
  ffn: kiln.Sequential;
  layernorm1: kiln.layers.LayerNormalization;
  layernorm2: kiln.layers.LayerNormalization;
  dropout1: kiln.layers.Dropout;
  dropout2: kiln.layers.Dropout;

  constructor(embedDim: number, numHeads: number, ffDim: number, rate = 0.1) {
    super();
    this.att = new layers.MultiHeadAttention({ numHeads, keyDim: embedDim });
    this.ffn = new kiln.Sequential([new layers.Dense(ffDim, { activation: 'relu' }), new layers.Dense(embedDim)]);
    this.layernorm1 = new layers.LayerNormalization({ epsilon: 1e-6 });
    this.layernorm2 = new layers.LayerNormalization({ epsilon: 1e-6 });
    this.dropout1 = new layers.Dropout(rate);
    this.dropout2 = new layers.Dropout(rate);
  }

  call(inputs: kiln.SymbolicTensor) {
    let attnOutput = this.att.apply(inputs, inputs);
    attnOutput = this.dropout1.apply(attnOutput);
    const out1 = this.layernorm1.apply(ops.add(inputs, attnOutput));
    let ffnOutput = this.ffn.apply(out1);
    ffnOutput = this.dropout2.apply(ffnOutput);
    return this.layernorm2.apply(ops.add(out1, ffnOutput));
  }
}

// ## Implement embedding layer
// Two separate embedding layers, one for tokens, one for token index (positions).
class TokenAndPositionEmbedding extends layers.Layer {
  tokenEmb: kiln.layers.Embedding;
  posEmb: kiln.layers.Embedding;

  constructor(maxlen: number, vocabSize: number, embedDim: number) {
    super();
    this.tokenEmb = new layers.Embedding(vocabSize, embedDim);
    this.posEmb = new layers.Embedding(maxlen, embedDim);
  }

  call(x: kiln.SymbolicTensor) {
    const maxlen = ops.shape(x).at(-1) as number;
    let positions = ops.arange(0, maxlen, 1);
    positions = this.posEmb.apply(positions);
    x = this.tokenEmb.apply(x);
    return ops.add(x, positions);
  }
}

// ## Download and prepare dataset
const vocabSize = 20000; // Only consider the top 20k words
const maxlen = 200; // Only consider the first 200 words of each movie review
const [[xTrainReviews, yTrain], [xValReviews, yVal]] = await loadReviews(vocabSize);
console.log(xTrainReviews.length, 'Training sequences');
console.log(xValReviews.length, 'Validation sequences');
const xTrain = kiln.utils.padSequences(xTrainReviews, { maxlen });
const xVal = kiln.utils.padSequences(xValReviews, { maxlen });

// ## Create classifier model using transformer layer
const embedDim = 32; // Embedding size for each token
const numHeads = 2; // Number of attention heads
const ffDim = 32; // Hidden layer size in feed forward network inside transformer

const inputs = kiln.Input({ shape: [maxlen] });
const embeddingLayer = new TokenAndPositionEmbedding(maxlen, vocabSize, embedDim);
let x = embeddingLayer.apply(inputs);
const transformerBlock = new TransformerBlock(embedDim, numHeads, ffDim);
x = transformerBlock.apply(x);
x = new layers.GlobalAveragePooling1D().apply(x);
x = new layers.Dropout(0.1).apply(x);
x = new layers.Dense(20, { activation: 'relu' }).apply(x);
x = new layers.Dropout(0.1).apply(x);
const outputs = new layers.Dense(2, { activation: 'softmax' }).apply(x);

const model = new kiln.Model({ inputs, outputs });
console.log(`Parameters: ${model.countParams()}`);

// ## Train and Evaluate
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const epochs = Number(process.env.KILN_EPOCHS ?? 2);
const history = await model.fit(xTrain, yTrain, { batchSize: 32, epochs, validationData: [xVal, yVal], verbose: process.env.KILN_SYNTHETIC_DATA ? 0 : 1 });
console.log(`Validation accuracy: ${history.history.val_accuracy.at(-1)}`);
