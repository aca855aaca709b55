// keras.io examples ported to examples/ (issue 12): each runs as a program, briefly, on
// generated or installed data, and must learn.
import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const examples = fileURLToPath(new URL('../examples/', import.meta.url));

async function runExample(file: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', import.meta.resolve('tsx'), join(examples, file)], {
    env: { ...process.env, KILN_SEED: '1', ...env },
    maxBuffer: 64 << 20,
  });
  return stdout;
}

test('06_text_classification_transformer (TokenAndPositionEmbedding, TransformerBlock) learns generated reviews', async (t) => {
  const out = await runExample('06_text_classification_transformer.ts', { KILN_SYNTHETIC_DATA: '1', KILN_TRAIN_SAMPLES: '384', KILN_EPOCHS: '3' });
  t.regex(out, /384 Training sequences/);
  const accuracy = Number(/Validation accuracy: ([\d.]+)/.exec(out)?.[1]);
  t.true(accuracy >= 0.7, `validation accuracy ${accuracy} (chance is 0.5)`);
});

// Keras' model has 657,758 parameters, the TransformerBlock's `this.ffn = new kiln.Sequential([...])`
// included (layers held in properties are tracked, as Keras' auto-tracking does).
test('06_text_classification_transformer counts the parameters Keras counts (657,758)', async (t) => {
  const out = await runExample('06_text_classification_transformer.ts', { KILN_SYNTHETIC_DATA: '1', KILN_TRAIN_SAMPLES: '32', KILN_EPOCHS: '1' });
  t.is(Number(/Parameters: (\d+)/.exec(out)?.[1]), 657758);
});

test("07_variational_autoencoder: the Sampling layer draws on the symbolic batch, Keras' parameter counts, the loss falls", async (t) => {
  const out = await runExample('07_variational_autoencoder.ts', { KILN_MNIST_DIGITS: '1', KILN_TRAIN_SAMPLES: '1024', KILN_EPOCHS: '3' });
  // keras.io's summaries: encoder 69,076 and decoder 65,089 parameters.
  t.deepEqual([...out.matchAll(/Total params: ([\d,]+)/g)].map((m) => m[1]), ['69,076', '65,089']);
  const [, first, last] = /decoder_loss: first ([\d.]+) last ([\d.]+)/.exec(out) ?? [];
  // 784 ln 2 = 543 is the summed cross-entropy of predicting 0.5 everywhere.
  t.true(Number(last) < 0.8 * Number(first) && Number(last) < 400, `reconstruction loss from ${first} to ${last}`);
  const kl = Number(/latent_loss: first [\d.]+ last ([\d.]+)/.exec(out)?.[1]);
  t.true(kl > 0 && Number.isFinite(kl), `KL term ${kl}: the encoder uses its latent space`);
});

test('08_bidirectional_lstm_imdb on Input shape [null]: Keras parameter count (2,757,761), learns generated reviews', async (t) => {
  const out = await runExample('08_bidirectional_lstm_imdb.ts', { KILN_SYNTHETIC_DATA: '1', KILN_TRAIN_SAMPLES: '256', KILN_EPOCHS: '2' });
  t.regex(out, /Total params: 2,757,761/);
  const accuracy = Number(/Validation accuracy: ([\d.]+)/.exec(out)?.[1]);
  t.true(accuracy >= 0.7, `validation accuracy ${accuracy} (chance is 0.5)`);
});
