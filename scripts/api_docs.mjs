// Builds the API reference from the TypeScript doc comments into docs/api (HTML, TypeDoc) and
// lists every public symbol without a doc comment. `--strict` fails on any of them; `--strict
// serving,plot` only on those defined under ts/serving/ and ts/plot/ (the folders whose
// reference is complete), so the rest can be filled in without breaking CI meanwhile.
// Usage: node scripts/api_docs.mjs [--strict [folder,...]] [--out folder]   (npm run docs)
import { dirname, join, relative, resolve } from 'node:path';
import { Application, LogLevel, ReflectionKind } from 'typedoc';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// A bare --strict means every folder.
const args = process.argv.slice(2).map((arg, i, all) => (arg === '--strict' && (all[i + 1] === undefined || all[i + 1].startsWith('--')) ? '--strict=*' : arg));
const { values } = parseArgs({ args, options: { strict: { type: 'string' }, out: { type: 'string' } } });
const out = resolve(values.out ?? join(root, 'docs', 'api'));
const strictFolders = values.strict === undefined ? [] : values.strict.split(',');

const app = await Application.bootstrapWithPlugins({
  entryPoints: [join(root, 'ts', 'index.ts')],
  tsconfig: join(root, 'tsconfig.json'),
  name: 'kiln-nn',
  readme: 'none',
  out,
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  validation: { notExported: false, invalidLink: true, notDocumented: false },
  logLevel: LogLevel.Error,
});
const project = await app.convert();
if (!project || app.logger.errorCount > 0) process.exit(1);

// Parameters and the members of inline object types are documented by their owner's comment;
// inherited, overriding and implementing members by the comment of what they override.
const KINDS = ['Class', 'Interface', 'Function', 'TypeAlias', 'Variable', 'Enum', 'Method', 'Property', 'Accessor', 'Namespace'];
const kinds = KINDS.reduce((mask, name) => mask | ReflectionKind[name], 0);
const undocumented = [];
for (const reflection of Object.values(project.reflections)) {
  if (!reflection.kindOf(kinds) || reflection.parent?.kindOf(ReflectionKind.TypeLiteral)) continue;
  if (reflection.inheritedFrom || reflection.overwrites || reflection.implementationOf) continue;
  const comments = [reflection, ...(reflection.signatures ?? []), reflection.getSignature, reflection.setSignature];
  if (comments.some((r) => r?.hasComment())) continue;
  const file = relative(root, reflection.sources?.[0]?.fullFileName ?? '');
  undocumented.push(`${reflection.getFullName()} (${ReflectionKind[reflection.kind]}, ${file})`);
}

const inStrictFolder = (line) => strictFolders.some((folder) => folder === '*' || line.includes(`, ts/${folder}/`));
const failing = undocumented.filter(inStrictFolder);
const counts = new Map();
for (const line of undocumented) {
  const folder = /, ts\/([^/)]+)/.exec(line)?.[1] ?? '?';
  counts.set(folder, (counts.get(folder) ?? 0) + 1);
}
const byFolder = [...counts].sort((a, b) => b[1] - a[1]).map(([folder, n]) => `${folder} ${n}`);
console.log(`api_docs: ${undocumented.length} public symbols without a doc comment${undocumented.length ? ` (by folder: ${byFolder.join(', ')})` : ''}`);
if (failing.length > 0) {
  console.error(`api_docs: these public symbols need a doc comment:\n  ${failing.join('\n  ')}`);
  process.exit(1);
}
await app.generateDocs(project, out);
if (app.logger.errorCount > 0) process.exit(1);
console.log(`api_docs: the API reference is in ${relative(process.cwd(), out) || '.'}`);
