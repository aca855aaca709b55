// keras.io "Bidirectional LSTM on IMDB" (fchollet), ported line for line:
// https://keras.io/examples/nlp/bidirectional_lstm_imdb/
//
// Trains on the IMDB reviews (kiln.datasets.imdb), or with KILN_SYNTHETIC_DATA=1 on generated
// reviews of the same form; KILN_TRAIN_SAMPLES and KILN_EPOCHS make the run short.
import * as kiln from 'kiln-nn';
import { loadReviews } from './imdb_or_synthetic.js';

const { layers } = kiln;

const maxFeatures = 20000; // Only consider the top 20k words
const maxlen = 200; // Only consider the first 200 words of each movie review

// ## Build the model
// Input for variable-length sequences of integers (Keras writes dtype="int32"; kiln's graphs
// are float32 and Embedding reads the ids as they are).
const inputs = kiln.Input({ shape: [null] });
// Embed each integer in a 128-dimensional vector
let x = new layers.Embedding(maxFeatures, 128).apply(inputs);
// Add 2 bidirectional LSTMs
x = new layers.Bidirectional(new layers.LSTM(64, { returnSequences: true })).apply(x);
x = new layers.Bidirectional(new layers.LSTM(64)).apply(x);
// Add a classifier
const outputs = new layers.Dense(1, { activation: 'sigmoid' }).apply(x);
const model = new kiln.Model({ inputs, outputs });
model.summary();

// ## Load the IMDB movie review sentiment data
const [[xTrainReviews, yTrain], [xValReviews, yVal]] = await loadReviews(maxFeatures);
console.log(xTrainReviews.length, 'Training sequences');
console.log(xValReviews.length, 'Validation sequences');
// Use pad_sequence to standardize sequence length:
// this will truncate sequences longer than 200 words and zero-pad sequences shorter than 200 words.
const xTrain = kiln.utils.padSequences(xTrainReviews, { maxlen });
const xVal = kiln.utils.padSequences(xValReviews, { maxlen });

// ## Train and evaluate the model
model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
const epochs = Number(process.env.KILN_EPOCHS ?? 2);
const history = await model.fit(xTrain, yTrain, { batchSize: 32, epochs, validationData: [xVal, yVal], verbose: process.env.KILN_SYNTHETIC_DATA ? 0 : 1 });
console.log(`Validation accuracy: ${history.history.val_accuracy.at(-1)}`);
