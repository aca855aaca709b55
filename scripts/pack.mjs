// Packs kiln-nn the way napi-rs publishes it: the root package (TypeScript API and loader, no
// binary) and the per-platform package holding the prebuilt .node, which the root package
// names in optionalDependencies. Usage: node scripts/pack.mjs [destination folder]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
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
copyFileSync(join(root, binary), join(platformDir, binary));
for (const dir of [platformDir, root]) {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: dir, encoding: 'utf8' });
  console.log(join(destination, out.trim().split('\n').pop()));
}
