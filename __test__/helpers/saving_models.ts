// Small trained models of each kind the saving tests write and read back.
import * as kiln from 'kiln-nn';

export interface TrainedModel {
  name: string;
  model: kiln.Model;
  x: kiln.Tensor[];
  y: kiln.Tensor[];
}

const { Dense, Dropout, Conv2D, MaxPooling2D, Flatten, LSTM, GRU, BatchNormalization, LayerNormalization, Activation, Concatenate, Add } = kiln.layers;

function oneHot(n: number, classes: number): kiln.Tensor {
  return kiln.utils.toCategorical(kiln.random.randint(0, classes, [n]), classes);
}

function builders(): Record<string, () => Omit<TrainedModel, 'name'>> {
  const n = 16;
  return {
    mlp: () => {
      const model = new kiln.Sequential([new Dense(16, { activation: 'relu', inputShape: [8] }), new Dropout(0.2), new Dense(3, { activation: 'softmax' })]);
      model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
      return { model, x: [kiln.random.uniform([n, 8])], y: [oneHot(n, 3)] };
    },
    cnn: () => {
      const model = new kiln.Sequential([
        new Conv2D(4, [3, 3], { activation: 'relu', padding: 'same', inputShape: [8, 8, 1] }),
        new MaxPooling2D([2, 2]),
        new Conv2D(3, 3, { strides: 2 }),
        new Flatten(),
        new Dense(3, { activation: 'softmax' }),
      ]);
      model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.05, momentum: 0.9 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
      return { model, x: [kiln.random.uniform([n, 8, 8, 1])], y: [kiln.random.randint(0, 3, [n])] };
    },
    lstm: () => {
      const model = new kiln.Sequential([new LSTM(6, { inputShape: [5, 3] }), new Dense(2)]);
      model.compile({ optimizer: 'adam', loss: 'mse' });
      return { model, x: [kiln.random.uniform([n, 5, 3])], y: [kiln.random.uniform([n, 2])] };
    },
    gru: () => {
      const model = new kiln.Sequential([new GRU(6, { returnSequences: true, inputShape: [5, 3] }), new GRU(4), new Dense(1, { activation: 'sigmoid' })]);
      model.compile({ optimizer: new kiln.optimizers.RMSprop({ learningRate: 0.01 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
      return { model, x: [kiln.random.uniform([n, 5, 3])], y: [kiln.random.randint(0, 2, [n, 1]).astype('float32')] };
    },
    batch_norm: () => {
      const model = new kiln.Sequential([new Dense(8, { inputShape: [6] }), new BatchNormalization(), new Activation('relu'), new Dense(2)]);
      // Plain SGD: Keras refuses a momentum written as the integer 0.
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      return { model, x: [kiln.random.uniform([n, 6], 1, 4)], y: [kiln.random.uniform([n, 2])] };
    },
    multi_input: () => {
      const a = kiln.Input({ shape: [4], name: 'a' });
      const b = kiln.Input({ shape: [4], name: 'b' });
      const shared = new Dense(5, { activation: 'tanh', name: 'shared' });
      const [ha, hb] = [shared.apply(a), shared.apply(b)];
      const scores = new Dense(3, { activation: 'softmax', name: 'scores' }).apply(new Concatenate().apply([ha, hb]));
      const gate = new Dense(1, { activation: 'sigmoid', name: 'gate' }).apply(new Add().apply([ha, hb]));
      const model = new kiln.Model({ inputs: [a, b], outputs: [scores, gate] });
      model.compile({ optimizer: 'adam', loss: ['categorical_crossentropy', 'binary_crossentropy'], lossWeights: [1, 0.5] });
      return { model, x: [kiln.random.uniform([n, 4]), kiln.random.uniform([n, 4])], y: [oneHot(n, 3), kiln.random.randint(0, 2, [n, 1]).astype('float32')] };
    },
    functional: () => {
      const inputs = kiln.Input({ shape: [6] });
      const hidden = new LayerNormalization().apply(new Dense(8, { activation: 'relu' }).apply(inputs));
      const model = new kiln.Model({ inputs, outputs: new Dense(3, { activation: 'softmax' }).apply(hidden) });
      model.compile({ optimizer: new kiln.optimizers.AdamW({ learningRate: 0.01 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
      return { model, x: [kiln.random.uniform([n, 6])], y: [oneHot(n, 3)] };
    },
    // Layers added after the saving code, found through the kiln.layers exports alone.
    newer_layers: () => {
      const L = kiln.layers;
      const inputs = kiln.Input({ shape: [6, 6, 2] });
      let h = new L.ZeroPadding2D(1).apply(inputs);
      h = new L.Conv2DTranspose(3, [3, 3], { strides: 2, padding: 'same', activation: 'relu' }).apply(h);
      h = new L.Cropping2D([
        [1, 1],
        [2, 2],
      ]).apply(h);
      h = new L.UpSampling2D(2).apply(h);
      h = new L.GaussianNoise(0.1).apply(h);
      h = new L.GlobalAveragePooling2D().apply(h);
      h = new L.Permute([2, 1]).apply(new L.RepeatVector(4).apply(h));
      h = new L.Flatten().apply(h);
      const outputs = new L.Dot(1, { normalize: true }).apply([new Dense(5).apply(h), new Dense(5).apply(h)]);
      const model = new kiln.Model({ inputs, outputs });
      model.compile({ optimizer: 'adam', loss: 'mse' });
      return { model, x: [kiln.random.uniform([n, 6, 6, 2])], y: [kiln.random.uniform([n, 1])] };
    },
  };
}

export const MODEL_NAMES = ['mlp', 'cnn', 'lstm', 'gru', 'batch_norm', 'multi_input', 'functional', 'newer_layers'];

/** The model `name`, trained for two epochs (so its optimizer has state). */
export async function trainedModel(name: string, seed = 3): Promise<TrainedModel> {
  kiln.setSeed(seed);
  const built = builders()[name]();
  const { model, x, y } = built;
  await model.fit(x.length === 1 ? x[0] : x, y.length === 1 ? y[0] : y, { epochs: 2, batchSize: 8, verbose: 0, shuffle: false });
  return { name, ...built };
}

/** A model's inputs in the form predict takes. */
export function inputsOf(x: kiln.Tensor[]): kiln.Tensor | kiln.Tensor[] {
  return x.length === 1 ? x[0] : x;
}

export async function predictAll(model: kiln.Model, x: kiln.Tensor[]): Promise<Float32Array[]> {
  const out = await model.predict<kiln.Tensor | kiln.Tensor[]>(inputsOf(x));
  return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
}

export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
