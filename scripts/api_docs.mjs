// Builds the API reference from the TypeScript doc comments into docs/api (HTML, TypeDoc) and
// lists every public symbol without a doc comment. `--strict` fails on any of them defined in
// DOCUMENTED (the families whose reference is complete, so the rest can be filled in without
// breaking CI meanwhile); `--strict all` on any at all; `--strict serving,plot` on those under
// ts/serving/ and ts/plot/. `--entry` and `--tsconfig` point it at another program (the spec's
// probe of the failure).
// Usage: node scripts/api_docs.mjs [--strict [all|folder,...]] [--out folder] [--entry file --tsconfig file]   (npm run docs)
import { dirname, join, relative, resolve } from 'node:path';
import { Application, LogLevel, ReflectionKind } from 'typedoc';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The one list of the public API's families whose every symbol has a doc comment: folders under
 * ts/ and files directly in it. A bare --strict (npm run docs, CI) fails on any symbol of these
 * without one. When every family is here, it becomes ['all'].
 */
const DOCUMENTED = ['all'];

// A bare --strict means the documented families.
const args = process.argv.slice(2).map((arg, i, all) => (arg === '--strict' && (all[i + 1] === undefined || all[i + 1].startsWith('--')) ? `--strict=${DOCUMENTED.join(',')}` : arg));
const { values } = parseArgs({ args, options: { strict: { type: 'string' }, out: { type: 'string' }, entry: { type: 'string' }, tsconfig: { type: 'string' } } });
const out = resolve(values.out ?? join(root, 'docs', 'api'));
const strictFolders = values.strict === undefined ? [] : values.strict.split(',');

const app = await Application.bootstrapWithPlugins({
  entryPoints: [resolve(values.entry ?? join(root, 'ts', 'index.ts'))],
  tsconfig: resolve(values.tsconfig ?? join(root, 'tsconfig.json')),
  name: 'kiln-nn',
  readme: 'none',
  out,
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  validation: { notExported: false, invalidLink: true, notDocumented: false },
  // A broken {@link} fails the build too (undocumented symbols are counted below, by family).
  treatValidationWarningsAsErrors: true,
  logLevel: LogLevel.Error,
});
const project = await app.convert();
if (!project || app.logger.errorCount > 0) process.exit(1);

// Parameters and the members of inline object types are documented by their owner's comment;
// inherited, overriding and implementing members by the comment of what they override, when that
// is public itself (checked there); members from a class or interface outside the public API
// (Model's compile and fit, from the Trainer it extends) are checked here.
const KINDS = ['Class', 'Interface', 'Function', 'TypeAlias', 'Variable', 'Enum', 'Method', 'Property', 'Accessor', 'Namespace'];
const kinds = KINDS.reduce((mask, name) => mask | ReflectionKind[name], 0);
const undocumented = [];
for (const reflection of Object.values(project.reflections)) {
  if (!reflection.kindOf(kinds) || reflection.parent?.kindOf(ReflectionKind.TypeLiteral)) continue;
  const from = reflection.inheritedFrom ?? reflection.overwrites ?? reflection.implementationOf;
  if (from?.reflection) continue;
  const comments = [reflection, ...(reflection.signatures ?? []), reflection.getSignature, reflection.setSignature];
  if (comments.some((r) => r?.hasComment())) continue;
  const source = reflection.sources?.[0] ?? reflection.signatures?.[0]?.sources?.[0] ?? reflection.getSignature?.sources?.[0];
  const file = relative(root, source?.fullFileName ?? '');
  undocumented.push(`${reflection.getFullName()} (${ReflectionKind[reflection.kind]}, ${file})`);
}

const inStrictFolder = (line) => strictFolders.some((folder) => folder === 'all' || line.includes(`, ts/${folder}/`) || line.endsWith(`, ts/${folder})`));
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
