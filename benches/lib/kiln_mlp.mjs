// The seed MLP in kiln-nn (public API only), shared by kiln/mlp.mjs and kiln/memory.mjs.
import { loadKiln } from './kiln.mjs';
import { findFashionMnistDir, loadFashionMnistRaw, now } from './common.mjs';

export const kiln = await loadKiln();

/**
 * Fashion-MNIST through kiln.datasets.fashionMnist.loadData(), pointed at the apt package's
 * directory (offline machine). If the loader cannot find it there, the IDX files are read here
 * and wrapped with kiln.tensor (recorded in `source`).
 */
export async function loadData() {
  const dir = findFashionMnistDir();
  const errors = [];
  for (const opts of [{ path: dir }, undefined]) {
    try {
      const data = await kiln.datasets.fashionMnist.loadData(opts);
      return { data, source: `kiln.datasets.fashionMnist.loadData(${opts ? JSON.stringify(opts) : ''})` };
    } catch (e) {
      errors.push(`${opts ? JSON.stringify(opts) : '()'}: ${e.message.split('\n')[0]}`);
    }
  }
  const raw = loadFashionMnistRaw(dir);
  const t = (a) => kiln.tensor(a.data, a.dims, 'uint8');
  return {
    data: [
      [t(raw.train.x), t(raw.train.y)],
      [t(raw.test.x), t(raw.test.y)],
    ],
    source: 'IDX files read by the bench, wrapped with kiln.tensor (loadData failed: ' + errors.join('; ') + ')',
  };
}

/** x/255 as float32 and one-hot float32 labels, optionally the first n samples only. */
export function prepare(x, y, n) {
  if (n && n < x.shape[0]) {
    x = x.slice([0, 0, 0], [n, 28, 28]);
    y = y.slice([0], [n]);
  }
  return [x.astype('float32').div(255), kiln.utils.toCategorical(y, 10)];
}

export function buildModel() {
  const model = new kiln.Sequential([
    new kiln.layers.Flatten({ inputShape: [28, 28] }),
    new kiln.layers.Dense(128, { activation: 'relu' }),
    new kiln.layers.Dropout(0.2),
    new kiln.layers.Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

/** An epoch timer: kiln.callbacks.LambdaCallback when it exists, else a kiln.callbacks.Callback subclass. */
function epochTimer(onBegin, onEnd) {
  const cbs = kiln.callbacks || {};
  if (typeof cbs.LambdaCallback === 'function') {
    return { cb: new cbs.LambdaCallback({ onEpochBegin: onBegin, onEpochEnd: onEnd }), how: 'kiln.callbacks.LambdaCallback' };
  }
  if (typeof cbs.Callback === 'function') {
    class EpochTimer extends cbs.Callback {
      onEpochBegin(epoch, logs) {
        return onBegin(epoch, logs);
      }
      onEpochEnd(epoch, logs) {
        return onEnd(epoch, logs);
      }
    }
    return { cb: new EpochTimer(), how: 'a kiln.callbacks.Callback subclass' };
  }
  return null;
}

/**
 * fit() for `epochs` epochs, calling onEpoch(epoch, seconds, logs) after each. With an epoch
 * callback it is one fit call timed per epoch; without callbacks (or KILN_BENCH_NO_CALLBACK=1)
 * it falls back to fit() calls of one epoch each (`mode` says which was used).
 */
export async function fitTimed(model, x, y, { epochs, batchSize, onEpoch = () => {} }) {
  const times = [];
  const losses = [];
  let t0 = 0;
  const timer =
    process.env.KILN_BENCH_NO_CALLBACK === '1'
      ? null
      : epochTimer(
          () => {
            t0 = now();
          },
          async (epoch, logs) => {
            const dt = now() - t0;
            times.push(dt);
            await onEpoch(epoch, dt, logs);
          },
        );
  if (timer) {
    const hist = await model.fit(x, y, { epochs, batchSize, shuffle: true, verbose: 0, callbacks: [timer.cb] });
    if (times.length !== epochs) throw new Error(`the epoch callback saw ${times.length} epoch ends for ${epochs} epochs`);
    losses.push(...(hist.history.loss || []));
    return { times, losses, mode: `one fit() call, epochs timed by ${timer.how}` };
  }
  for (let e = 0; e < epochs; e++) {
    const t1 = now();
    const hist = await model.fit(x, y, { epochs: 1, batchSize, shuffle: true, verbose: 0 });
    const dt = now() - t1;
    times.push(dt);
    losses.push(...(hist.history.loss || []));
    await onEpoch(e, dt, {});
  }
  return { times, losses, mode: 'fit() calls of one epoch each (no epoch callback)' };
}

export function scalar(v) {
  if (typeof v === 'number') return v;
  if (v && typeof v.dataSync === 'function') return v.dataSync()[0];
  return Number(v);
}
