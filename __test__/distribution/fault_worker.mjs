// A rank of the fault tests: trains with a ModelCheckpoint each epoch; from the second epoch
// on, steps are slowed so the test can kill rank 1 mid-epoch (it writes its pid when the epoch
// begins), or rank 1 throws there itself. The survivor prints how fit ended. With a backupDir,
// BackupAndRestore (on the chief) lets a second run resume where the failed one stopped.
import { writeFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

const cfg = JSON.parse(process.argv[2]);
kiln.distribution.setDistribution(new kiln.distribution.DataParallel({ timeout: 60 }));
kiln.setSeed(3);
const [[xAll, yAll]] = await kiln.datasets.fashionMnist.loadData();
const n = 2048;
const x = xAll.slice([0, 0, 0], [n, 28, 28]).astype('float32').div(255);
const y = yAll.slice([0], [n]).astype('int32');
const model = new kiln.Sequential([new kiln.layers.Flatten({ inputShape: [28, 28] }), new kiln.layers.Dense(32, { activation: 'relu' }), new kiln.layers.Dense(10, { activation: 'softmax' })]);
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });

const rank = kiln.distribution.rank();
let epoch = 0;
const begun = [];
const slow = new kiln.callbacks.LambdaCallback({
  onEpochBegin: (e) => {
    epoch = e;
    begun.push(e);
    if (e === 1 && rank === 1) writeFileSync(cfg.pidFile, String(process.pid));
  },
  onTrainBatchEnd: async (batch) => {
    if (epoch < 1) return;
    if (cfg.fault === 'throw' && rank === 1 && batch === 5) throw new Error('boom in a callback');
    await new Promise((resolve) => setTimeout(resolve, 25));
  },
});
try {
  await model.fit(x, y, { batchSize: 32, epochs: 3, verbose: 0, callbacks: [slow, new kiln.callbacks.ModelCheckpoint(cfg.checkpoint), ...(cfg.backupDir ? [new kiln.callbacks.BackupAndRestore(cfg.backupDir)] : [])] });
  console.log(`FIT ENDED on rank ${rank} after epochs ${begun.join(',')}`);
} catch (error) {
  console.log(`FIT FAILED on rank ${rank} at ${Date.now()}: ${error.constructor.name}: ${error.message}`);
  process.exitCode = 3;
}
