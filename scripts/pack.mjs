// Packs kiln-nn the way napi-rs publishes it: the root package (TypeScript API and loader, no
// binary) and the per-platform package holding the prebuilt .node. As `napi prepublish` does,
// the packed root package.json gains the platform package in optionalDependencies (the repo's
// own package.json leaves it out, so `npm ci` never looks for an unpublished package).
// Usage: node scripts/pack.mjs [destination folder]
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const destination = resolve(process.argv[2] ?? join(root, 'packages'));
const binary = 'kiln-nn.linux-x64-gnu.node';
const platformDir = join(root, 'npm', 'linux-x64-gnu');

if (!existsSync(join(root, binary)) || !existsSync(join(root, 'dist', 'index.js'))) {
  console.error('Build first: npm run build');
  process.exit(1);
}
mkdirSync(destination, { recursive: true });

function pack(dir) {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: dir, encoding: 'utf8' });
  console.log(join(destination, out.trim().split('\n').pop()));
}

copyFileSync(join(root, binary), join(platformDir, binary));
const platform = JSON.parse(readFileSync(join(platformDir, 'package.json'), 'utf8'));
pack(platformDir);

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const stage = mkdtempSync(join(tmpdir(), 'kiln-stage-'));
try {
  for (const file of manifest.files) cpSync(join(root, file), join(stage, file), { recursive: true });
  delete manifest.devDependencies;
  delete manifest.scripts;
  delete manifest.overrides; // the repository's pins for its development tools
  delete manifest.allowScripts;
  manifest.optionalDependencies = { [platform.name]: platform.version };
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  pack(stage);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
