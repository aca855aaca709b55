// Loads kiln-nn through its public entry point only.
// From benches/ the package's self-reference ('kiln-nn') does not resolve, because benches/ has
// its own package.json; so this imports the built entry (../dist/index.js, what the package's
// "exports" maps 'kiln-nn' to) unless KILN_NN_ENTRY names another module or file.
import { existsSync } from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';

export const KILN_DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

export async function loadKiln() {
  const entry = process.env.KILN_NN_ENTRY;
  if (entry) return import(existsSync(entry) ? pathToFileURL(entry).href : entry);
  if (existsSync(KILN_DIST)) return import(pathToFileURL(KILN_DIST).href);
  return import('kiln-nn');
}
