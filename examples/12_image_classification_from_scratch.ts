// keras.io "Image classification from scratch" (fchollet), Keras 3 version, ported line for
// line: https://keras.io/examples/vision/image_classification_from_scratch/
//
// Where the port differs, and why:
// - The Kaggle Cats vs Dogs archive (786 MB) downloads. With KILN_PET_IMAGES pointing at an
//   unzipped `PetImages` folder it is read from there; otherwise this program writes GENERATED
//   JPEG files into a temporary `PetImages/Cat` and `PetImages/Dog` (KILN_TRAIN_SAMPLES of them,
//   default 1000: a textured background and an animal-like blob, striped orange for cats and
//   plain brown for dogs, at a random place, size and angle), plus one file per class without
//   a JFIF header, so the corrupted-image filter has something to delete.
// - KILN_IMAGE_SIZE (default 180, as keras.io) and KILN_EPOCHS (default 25) make the run short;
//   the parameter count does not depend on the image size (the model ends in global pooling).
// - The matplotlib figures (nine images, nine augmentations, plot_model) are left out: Node
//   has no matplotlib.
// - `keras.utils.load_img` / `img_to_array` do not exist in kiln: the inference step predicts
//   the first validation image instead of PetImages/Cat/6779.jpg (absent from generated data).
// - `tf.compat.as_bytes("JFIF") in fobj.peek(10)` reads the first 10 bytes with node:fs.
// - "save_at_{epoch}.keras" is written to a temporary folder, not the working directory.
// - The augmentation is keras.io's "option 1" (part of the model: `x = data_augmentation(inputs)`,
//   as the earlier keras.io version of this example does) rather than the Keras 3 version's
//   option 2 (`train_ds.map(lambda img, label: (data_augmentation(img), label))`): kiln's
//   augmentation layers augment only inside fit (the engine's training graph) and refuse an
//   eager call in training mode, so a dataset map cannot apply them. Both options train on
//   augmented images only, and predict/evaluate see the images unchanged.
// - `jit_compile` (XLA) is not a kiln option and `num_parallel_calls=tf_data.AUTOTUNE` has no
//   counterpart in kiln.data; both are left out.
// - Needs kiln.layers.RandomFlip and RandomRotation (the preprocessing layers).
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import * as kiln from 'kiln-nn';

const keras = kiln;
const { layers } = kiln;

// ## Load the data: the Cats vs Dogs dataset
// A `PetImages` folder contains two subfolders, `Cat` and `Dog`, each holding the image files
// of its category.
const petImages = process.env.KILN_PET_IMAGES ?? writeGeneratedPetImages();

// ### Filter out corrupted images
// When working with lots of real-world image data, corrupted images are a common occurence.
// Let's filter out badly-encoded images that do not feature the string "JFIF" in their header.

let numSkipped = 0;
for (const folderName of ['Cat', 'Dog']) {
  const folderPath = join(petImages, folderName);
  for (const fname of readdirSync(folderPath)) {
    const fpath = join(folderPath, fname);
    const fobj = openSync(fpath, 'r');
    let isJfif: boolean;
    try {
      const head = Buffer.alloc(10);
      const read = readSync(fobj, head, 0, 10, 0);
      isJfif = head.subarray(0, read).includes('JFIF');
    } finally {
      closeSync(fobj);
    }

    if (!isJfif) {
      numSkipped += 1;
      // Delete corrupted image
      rmSync(fpath);
    }
  }
}

console.log(`Deleted ${numSkipped} images`);

// ## Generate a `Dataset`

const side = Number(process.env.KILN_IMAGE_SIZE ?? 180);
const imageSize: [number, number] = [side, side];
const batchSize = 128;

let [trainDs, valDs] = await keras.utils.imageDatasetFromDirectory(petImages, {
  validationSplit: 0.2,
  subset: 'both',
  seed: 1337,
  imageSize,
  batchSize,
});

// ## Using image data augmentation
// When you don't have a large image dataset, it's a good practice to artificially introduce
// sample diversity by applying random yet realistic transformations to the training images,
// such as random horizontal flipping or small random rotations.

const dataAugmentationLayers = [new layers.RandomFlip('horizontal'), new layers.RandomRotation(0.1)];

function dataAugmentation(images: kiln.SymbolicTensor): kiln.SymbolicTensor {
  for (const layer of dataAugmentationLayers) {
    images = layer.apply(images) as kiln.SymbolicTensor;
  }
  return images;
}

// ## Build a model
// A small version of the Xception network. We start the model with the `dataAugmentation`
// preprocessor, followed by a `Rescaling` layer, and include a `Dropout` layer before the
// final classification layer.

function makeModel(inputShape: number[], numClasses: number): kiln.Model {
  const inputs = keras.Input({ shape: inputShape });
  // Image augmentation block (active in fit only)
  let x = dataAugmentation(inputs);

  // Entry block
  x = new layers.Rescaling(1.0 / 255).apply(x);
  x = new layers.Conv2D(128, 3, { strides: 2, padding: 'same' }).apply(x);
  x = new layers.BatchNormalization().apply(x);
  x = new layers.Activation('relu').apply(x);

  let previousBlockActivation = x; // Set aside residual

  for (const size of [256, 512, 728]) {
    x = new layers.Activation('relu').apply(x);
    x = new layers.SeparableConv2D(size, 3, { padding: 'same' }).apply(x);
    x = new layers.BatchNormalization().apply(x);

    x = new layers.Activation('relu').apply(x);
    x = new layers.SeparableConv2D(size, 3, { padding: 'same' }).apply(x);
    x = new layers.BatchNormalization().apply(x);

    x = new layers.MaxPooling2D(3, { strides: 2, padding: 'same' }).apply(x);

    // Project residual
    const residual = new layers.Conv2D(size, 1, { strides: 2, padding: 'same' }).apply(previousBlockActivation);
    x = layers.add([x, residual]); // Add back residual
    previousBlockActivation = x; // Set aside next residual
  }

  x = new layers.SeparableConv2D(1024, 3, { padding: 'same' }).apply(x);
  x = new layers.BatchNormalization().apply(x);
  x = new layers.Activation('relu').apply(x);

  x = new layers.GlobalAveragePooling2D().apply(x);
  const units = numClasses === 2 ? 1 : numClasses;

  x = new layers.Dropout(0.25).apply(x);
  // We specify activation=None so as to return logits
  const outputs = new layers.Dense(units, { activation: null }).apply(x);
  return new keras.Model(inputs, outputs);
}

const model = makeModel([...imageSize, 3], 2);
console.log(`Parameters: ${model.countParams()}`);

// Prefetching samples helps keep the training loop busy.
trainDs = trainDs.prefetch() as typeof trainDs;
valDs = valDs.prefetch() as typeof valDs;

// ## Train the model

const epochs = Number(process.env.KILN_EPOCHS ?? 25);
const checkpoints = mkdtempSync(join(tmpdir(), 'kiln-cats-vs-dogs-'));

const callbacks = [new keras.callbacks.ModelCheckpoint(join(checkpoints, 'save_at_{epoch}.keras'))];
model.compile({
  optimizer: new keras.optimizers.Adam(3e-4),
  loss: new keras.losses.BinaryCrossentropy({ fromLogits: true }),
  metrics: [new keras.metrics.BinaryAccuracy({ name: 'acc' })],
});
const history = await model.fit(trainDs, { epochs, callbacks, validationData: valDs, verbose: process.env.KILN_PET_IMAGES ? 1 : 0 });
const logs = history.history;
console.log(`loss: first ${logs.loss[0]} last ${logs.loss.at(-1)}`);
console.log(`acc: first ${logs.acc[0]} last ${logs.acc.at(-1)}; val_acc: last ${logs.val_acc.at(-1)}`);

// ## Run inference on new data
// Note that data augmentation and dropout are inactive at inference time.

const [firstBatch] = (await valDs.take(1).toArray()) as kiln.Tensor[][];
const imgArray = firstBatch[0].slice([0, 0, 0, 0], [1, ...imageSize, 3]); // Keep the batch axis

const predictions = await model.predict(imgArray);
const score = keras.ops.sigmoid(predictions).dataSync()[0];
console.log(`This image is ${(100 * (1 - score)).toFixed(2)}% cat and ${(100 * score).toFixed(2)}% dog.`);

/**
 * PetImages/Cat and PetImages/Dog of generated JPEGs (see the header), with one file per class
 * that is not JFIF. The generator is seeded (KILN_SEED), so the files are the same every run.
 */
function writeGeneratedPetImages(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'kiln-pet-images-')), 'PetImages');
  const random = seededRandom(Number(process.env.KILN_SEED ?? 1337));
  const count = Number(process.env.KILN_TRAIN_SAMPLES ?? 1000);
  const size = 96;
  for (const [index, folder] of ['Cat', 'Dog'].entries()) {
    mkdirSync(join(root, folder), { recursive: true });
    for (let n = 0; n < count / 2; n++) {
      const data = Buffer.alloc(size * size * 4);
      const [cx, cy] = [size * (0.3 + 0.4 * random()), size * (0.3 + 0.4 * random())];
      const [rx, ry] = [size * (0.2 + 0.1 * random()), size * (0.12 + 0.08 * random())];
      const angle = Math.PI * random();
      const background = [60 + 120 * random(), 60 + 120 * random(), 60 + 120 * random()];
      const body = index === 0 ? [220, 130 + 30 * random(), 40] : [110 + 30 * random(), 70, 40];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const [dx, dy] = [x - cx, y - cy];
          const u = (dx * Math.cos(angle) + dy * Math.sin(angle)) / rx;
          const v = (-dx * Math.sin(angle) + dy * Math.cos(angle)) / ry;
          const inside = u * u + v * v <= 1;
          const stripe = index === 0 && inside && Math.sin(u * 9) > 0.3 ? 0.45 : 1;
          const colour = inside ? body.map((c) => c * stripe) : background;
          for (let c = 0; c < 3; c++) data[(y * size + x) * 4 + c] = Math.max(0, Math.min(255, colour[c] + 40 * (random() - 0.5)));
          data[(y * size + x) * 4 + 3] = 255;
        }
      }
      writeFileSync(join(root, folder, `${n}.jpg`), jpeg.encode({ data, width: size, height: size }, 90).data);
    }
    writeFileSync(join(root, folder, 'corrupted.jpg'), Buffer.from('not an image'));
  }
  return root;
}

/** A small seeded generator (mulberry32). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
