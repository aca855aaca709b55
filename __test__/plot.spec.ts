// kiln.plot: each chart rendered to PNG from real training results, decoded, and checked at the
// pixels where its data must be drawn (positions from the Figure's axes, as matplotlib's
// transData gives them).
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import * as kiln from 'kiln-nn';

const dir = mkdtempSync(join(tmpdir(), 'kiln-plot-'));
const BLUE = [0x1f, 0x77, 0xb4];
const ORANGE = [0xff, 0x7f, 0x0e];
const WHITE = [255, 255, 255];

interface Image {
  width: number;
  height: number;
  pixel(x: number, y: number): number[];
}

function readPng(file: string): Image {
  const png = PNG.sync.read(readFileSync(file));
  return {
    width: png.width,
    height: png.height,
    pixel: (x, y) => {
      const i = (Math.round(y) * png.width + Math.round(x)) * 4;
      return [png.data[i], png.data[i + 1], png.data[i + 2]];
    },
  };
}

const close = (a: number[], b: number[], tolerance = 24) => a.every((v, i) => Math.abs(v - b[i]) <= tolerance);

/** Whether `color` is drawn within `radius` pixels of (x, y). */
function colorNear(image: Image, x: number, y: number, color: number[], radius = 2): boolean {
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) if (close(image.pixel(x + dx, y + dy), color)) return true;
  }
  return false;
}

/** Whether a dark pixel (a line, antialiased) is within `radius` pixels of (x, y). */
function darkNear(image: Image, x: number, y: number, radius = 1): boolean {
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) if (luminance(image.pixel(x + dx, y + dy)) < 128) return true;
  }
  return false;
}

/** Pixels in a rectangle that are far from white (text, lines). */
function inkIn(image: Image, left: number, top: number, width: number, height: number): number {
  let count = 0;
  for (let y = top; y < top + height; y++) for (let x = left; x < left + width; x++) if (!close(image.pixel(x, y), WHITE, 60)) count++;
  return count;
}

const luminance = ([r, g, b]: number[]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

/** The seed MLP trained briefly on 1,500 real MNIST digits, with its history and test predictions. */
const trained = (async () => {
  kiln.setSeed(7);
  const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.mnistDigits.loadData();
  const x = xTrain.slice([0, 0, 0], [1500, -1, -1]).reshape([-1, 784]).astype('float32').div(255);
  const y = yTrain.slice([0], [1500]);
  const model = new kiln.Sequential([new kiln.layers.Dense(128, { activation: 'relu', inputShape: [784] }), new kiln.layers.Dense(10, { activation: 'softmax' })]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const history = await model.fit(x, y, { epochs: 4, batchSize: 32, validationSplit: 0.2, verbose: 0 });
  const xt = xTest.slice([0, 0, 0], [500, -1, -1]).reshape([-1, 784]).astype('float32').div(255);
  const probabilities = (await model.predict(xt)).toArray() as number[][];
  const labels = Array.from(yTest.slice([0], [500]).dataSync());
  return { model, history, probabilities, labels, predicted: probabilities.map((p) => p.indexOf(Math.max(...p))) };
})();

test('plot.history draws accuracy and loss, training in blue and validation in orange, at each epoch', async (t) => {
  const { history } = await trained;
  const file = join(dir, 'history.png');
  const figure = await kiln.plot.history(history, file);
  const image = readPng(file);
  t.is(image.width, 1000);
  t.is(image.height, 420);
  t.deepEqual([figure.width, figure.height], [1000, 420]);
  t.deepEqual(
    figure.axes.map((a) => a.title),
    ['Training and Validation Accuracy', 'Training and Validation Loss'],
  );
  t.true(close(image.pixel(2, 2), WHITE, 0), 'white background in the corner');
  const [accuracy, loss] = figure.axes;
  for (let epoch = 0; epoch < 4; epoch++) {
    t.true(colorNear(image, ...accuracy.toPixel(epoch + 1, history.history.accuracy[epoch]), BLUE), `training accuracy point of epoch ${epoch + 1}`);
    t.true(colorNear(image, ...accuracy.toPixel(epoch + 1, history.history.val_accuracy[epoch]), ORANGE), `validation accuracy point of epoch ${epoch + 1}`);
    t.true(colorNear(image, ...loss.toPixel(epoch + 1, history.history.loss[epoch]), BLUE), `training loss point of epoch ${epoch + 1}`);
    t.true(colorNear(image, ...loss.toPixel(epoch + 1, history.history.val_loss[epoch]), ORANGE), `validation loss point of epoch ${epoch + 1}`);
  }
  // The loss falls while training: its first point is higher on the image than its last.
  t.true(loss.toPixel(1, history.history.loss[0])[1] < loss.toPixel(4, history.history.loss[3])[1]);
  // The titles are rendered text (the font is found on any machine): ink above each panel.
  for (const ax of figure.axes) t.true(inkIn(image, ax.frame.left, 5, ax.frame.width, ax.frame.top - 12) > 100, `title of ${ax.title}`);
  // An empty area inside the panel stays white.
  t.true(close(image.pixel(accuracy.frame.left + 3, accuracy.frame.top + 3), WHITE, 0));
});

test('plot.history writes SVG for a .svg file and accepts the history record', async (t) => {
  const { history } = await trained;
  const file = join(dir, 'history.svg');
  const figure = await kiln.plot.history(history.history, file, { metrics: ['loss'], width: 600, height: 400 });
  const text = readFileSync(file, 'utf8');
  t.true(text.startsWith('<?xml'));
  t.regex(text, /<svg [^>]*width="600" height="400"/);
  t.true(text.includes('Training and Validation Loss'));
  t.false(text.includes('Accuracy'));
  t.is(figure.svg, text);
});

test('plot.confusionMatrix shades the largest count darkest and writes each count in its cell', async (t) => {
  const { labels, predicted } = await trained;
  const counts = kiln.metrics.confusionMatrix(labels, predicted, 10).toArray() as number[][];
  const file = join(dir, 'confusion.png');
  const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  const figure = await kiln.plot.confusionMatrix({ yTrue: labels, yPred: predicted }, file, { labels: names });
  const image = readPng(file);
  t.deepEqual([image.width, image.height], [figure.width, figure.height]);
  t.true(close(image.pixel(1, image.height - 2), WHITE, 0));
  const [ax] = figure.axes;
  const cell = ax.frame.width / 10;
  // Sample each cell near its corner, away from the number written in its middle.
  const shade = (row: number, column: number) => {
    const [x, y] = ax.toPixel(column, row);
    return luminance(image.pixel(x - cell * 0.4, y - cell * 0.4));
  };
  const cells = counts.flatMap((row, i) => row.map((count, j) => ({ count, i, j, light: shade(i, j) })));
  const largest = cells.reduce((a, b) => (b.count > a.count ? b : a));
  const darkest = cells.reduce((a, b) => (b.light < a.light ? b : a));
  t.deepEqual([darkest.i, darkest.j], [largest.i, largest.j]);
  t.true(largest.i === largest.j, 'the trained model gets most of one digit right');
  const empty = cells.find((c) => c.count === 0)!;
  t.true(close(image.pixel(...(ax.toPixel(empty.j, empty.i).map((v) => v - cell * 0.4) as [number, number])), [0xf7, 0xfb, 0xff], 4), 'a zero count is the lightest blue');
  // More counts, darker cells: brightness falls as the count rises along the diagonal.
  const diagonal = cells.filter((c) => c.i === c.j).sort((a, b) => a.count - b.count);
  t.true(diagonal[0].light > diagonal[diagonal.length - 1].light);
  t.true(figure.svg.includes(`>${largest.count}</text>`));
  t.true(figure.svg.includes('>Predicted label</text>') && figure.svg.includes('>True label</text>') && figure.svg.includes('>seven</text>'));
});

test('plot.confusionMatrix normalizes rows as scikit-learn\'s normalize="true"', async (t) => {
  const matrix = [
    [45, 5],
    [10, 40],
  ];
  const figure = await kiln.plot.confusionMatrix(kiln.tensor(matrix, [2, 2], 'int32'), join(dir, 'normalized.svg'), { normalize: 'true' });
  for (const value of ['0.9', '0.1', '0.2', '0.8']) t.true(figure.svg.includes(`>${value}</text>`), value);
  t.false(figure.svg.includes('>45</text>'));
});

test("plot.rocCurve draws the curve of the model's scores and its AUC, with the chance diagonal", async (t) => {
  const { labels, probabilities } = await trained;
  const yTrue = labels.map((l) => (l === 3 ? 1 : 0));
  const yScore = probabilities.map((p) => p[3]);
  const file = join(dir, 'roc.png');
  const figure = await kiln.plot.rocCurve({ yTrue, yScore }, file);
  const image = readPng(file);
  t.deepEqual([image.width, image.height], [560, 520]);
  const [ax] = figure.axes;
  const curve = kiln.metrics.rocCurve(yTrue, yScore);
  for (let i = 1; i < curve.fpr.length - 1; i += Math.max(1, Math.floor(curve.fpr.length / 6))) {
    t.true(colorNear(image, ...ax.toPixel(curve.fpr[i], curve.tpr[i]), BLUE), `curve point ${i}`);
  }
  t.true(darkNear(image, ...ax.toPixel(0.6, 0.6)), 'chance level');
  const area = kiln.metrics.rocAucScore(yTrue, yScore);
  t.true(area > 0.9);
  t.true(figure.svg.includes(`ROC curve (AUC = ${area.toFixed(2)})`));
  // A curve given as rocCurve's result draws the same line.
  const fromCurve = await kiln.plot.rocCurve(curve, join(dir, 'roc.svg'));
  t.is(fromCurve.svg, figure.svg);
});

test('plot.precisionRecallCurve draws steps through the precision-recall points and the AP', async (t) => {
  const { labels, probabilities } = await trained;
  const yTrue = labels.map((l) => (l === 8 ? 1 : 0));
  const yScore = probabilities.map((p) => p[8]);
  const file = join(dir, 'pr.png');
  const figure = await kiln.plot.precisionRecallCurve({ yTrue, yScore }, file, { name: 'MLP' });
  const image = readPng(file);
  const [ax] = figure.axes;
  const curve = kiln.metrics.precisionRecallCurve(yTrue, yScore);
  for (let i = 0; i < curve.recall.length; i += Math.max(1, Math.floor(curve.recall.length / 6))) {
    t.true(colorNear(image, ...ax.toPixel(curve.recall[i], curve.precision[i]), BLUE), `point ${i}`);
  }
  t.true(figure.svg.includes(`MLP (AP = ${kiln.metrics.averagePrecisionScore(yTrue, yScore).toFixed(2)})`));
  t.true(close(image.pixel(image.width - 2, 2), WHITE, 0));
});

test('plot.model draws a box per layer with its shapes and an arrow per connection', async (t) => {
  const inputs = kiln.Input({ shape: [784], name: 'pixels' });
  const extra = kiln.Input({ shape: [4], name: 'extra' });
  const hidden = new kiln.layers.Dense(128, { activation: 'relu', name: 'hidden' }).apply(inputs);
  const merged = new kiln.layers.Concatenate({ name: 'merge' }).apply([hidden, extra]);
  const outputs = new kiln.layers.Dense(10, { activation: 'softmax', name: 'scores' }).apply(merged);
  const model = new kiln.Model({ inputs: [inputs, extra], outputs });
  const file = join(dir, 'model.png');
  const figure = await kiln.plot.model(model, file, { showShapes: true });
  const image = readPng(file);
  t.deepEqual([image.width, image.height], [figure.width, figure.height]);
  t.deepEqual(figure.boxes.map((b) => b.name).sort(), ['extra', 'hidden', 'merge', 'pixels', 'scores']);
  const box = (name: string) => figure.boxes.find((b) => b.name === name)!;
  // Layers that feed others sit above them, as in Keras' top-to-bottom graph.
  t.true(box('pixels').top < box('hidden').top && box('hidden').top < box('merge').top && box('merge').top < box('scores').top);
  t.true(box('extra').top < box('merge').top);
  for (const b of figure.boxes) {
    t.true(darkNear(image, b.left, b.top + b.height / 2), `left border of ${b.name}`);
    t.false(darkNear(image, b.left - 6, b.top + b.height / 2, 2), `nothing just left of ${b.name}`);
    t.true(inkIn(image, Math.round(b.left + 4), Math.round(b.top + 3), Math.round(b.width - 8), 18) > 40, `header text of ${b.name}`);
  }
  // An arrow runs down from the merge box into the output box.
  const merge = box('merge');
  const scores = box('scores');
  t.true(inkIn(image, Math.round(scores.left), Math.round(merge.top + merge.height + 2), Math.round(scores.width), Math.round(scores.top - merge.top - merge.height - 4)) > 10);
  t.true(figure.svg.includes('hidden (Dense)') && figure.svg.includes('merge (Concatenate)'));
  t.true(figure.svg.includes('Input shape: (None, 128), (None, 4)') && figure.svg.includes('Output shape: (None, 132)'));
  const plain = await kiln.plot.model(new kiln.Sequential([new kiln.layers.Dense(8, { inputShape: [3], name: 'only' })]), join(dir, 'plain.svg'));
  t.true(plain.svg.includes('only (Dense)'));
  t.false(plain.svg.includes('Output shape'));
});

test('plot functions refuse bad input with clear errors', async (t) => {
  await t.throwsAsync(kiln.plot.history({ loss: [1, 0.5] }, join(dir, 'history.jpg')), { instanceOf: kiln.ValueError, message: /\.svg or \.png.*"\.jpg"/ });
  await t.throwsAsync(kiln.plot.history({ loss: [1, 0.5], val_loss: [1] }, join(dir, 'h.svg')), { instanceOf: kiln.ValueError, message: /"loss" has 2 values but "val_loss" has 1/ });
  await t.throwsAsync(kiln.plot.history({ loss: [1] }, join(dir, 'h.svg'), { metrics: ['accuracy'] }), { instanceOf: kiln.ValueError, message: /no values for "accuracy"; it has: loss/ });
  await t.throwsAsync(kiln.plot.confusionMatrix([[1, 2]], join(dir, 'c.svg')), { instanceOf: kiln.ValueError, message: /square/ });
  await t.throwsAsync(
    kiln.plot.confusionMatrix(
      [
        [1, 2],
        [3, 4],
      ],
      join(dir, 'c.svg'),
      { labels: ['a'] },
    ),
    { instanceOf: kiln.ValueError, message: /labels has 1 names for a 2 x 2 matrix/ },
  );
  await t.throwsAsync(kiln.plot.rocCurve({ fpr: [0, 1] } as never, join(dir, 'r.svg')), { instanceOf: kiln.ValueError, message: /fpr and tpr/ });
  await t.throwsAsync(kiln.plot.model(new kiln.Sequential([new kiln.layers.Dense(2)]), join(dir, 'm.svg')), { instanceOf: kiln.ValueError, message: /not been built/ });
});
