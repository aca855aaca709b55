// Packaging as napi-rs publishes: the root package plus the linux-x64-gnu package with the
// prebuilt binary. A user's `npm install` of the two needs no Rust toolchain.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('npm pack gives installable packages that train without cargo on the PATH', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-pack-'));
  try {
    const packed = (await run(process.execPath, ['scripts/pack.mjs', join(dir, 'tarballs')])).stdout.trim().split('\n');
    t.is(packed.length, 2);
    const [platformTarball, rootTarball] = packed;
    const listing = (await run('tar', ['tzf', rootTarball])).stdout;
    t.false(/\.node$/m.test(listing), 'the root package carries no binary');
    t.regex((await run('tar', ['tzf', platformTarball])).stdout, /kiln-nn\.linux-x64-gnu\.node/);

    const app = join(dir, 'app');
    await run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    // No Rust: drop every PATH entry that has cargo or rustc.
    const PATH = (process.env.PATH ?? '').split(delimiter).filter((p) => !existsSync(join(p, 'cargo')) && !existsSync(join(p, 'rustc'))).join(delimiter);
    const env = { ...process.env, PATH };
    await t.throwsAsync(run('cargo', ['--version'], { env }), undefined, 'cargo is off the PATH');
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', platformTarball, rootTarball], { cwd: app, env });
    t.false(readdirSync(join(app, 'node_modules', 'kiln-nn')).some((f) => f.endsWith('.node')));
    writeFileSync(
      join(app, 'train.mjs'),
      `import * as kiln from 'kiln-nn';
kiln.setSeed(3);
const [[x, y], [xt, yt]] = await kiln.datasets.mnistDigits.loadData();
const model = new kiln.Sequential([
  new kiln.layers.Flatten({ inputShape: [28, 28] }),
  new kiln.layers.Dense(64, { activation: 'relu' }),
  new kiln.layers.Dense(10, { activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
await model.fit(x.astype('float32').div(255), y, { epochs: 1, verbose: 0 });
const [, accuracy] = await model.evaluate(xt.astype('float32').div(255), yt, { verbose: 0 });
console.log('accuracy', accuracy);
`,
    );
    const { stdout } = await run(process.execPath, ['train.mjs'], { cwd: app, env });
    const accuracy = Number(/accuracy ([\d.]+)/.exec(stdout)?.[1]);
    t.true(accuracy > 0.8, `one epoch in the installed package reached ${accuracy}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
