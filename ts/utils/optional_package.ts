// Packages that only some features use (the `mnist` digits, the PNG renderer and its fonts, the
// graph layout of plot.model) are optional peer dependencies of kiln-nn, so a server that loads
// a model and predicts never downloads them. The feature that needs one loads it on first use
// and, where it is missing, says which package to install.
import { createRequire } from 'node:module';
import { RuntimeError } from '../errors.js';

const require = createRequire(import.meta.url);

/** The version ranges kiln-nn accepts, read from its package.json (the one list of them). */
function peerRange(name: string): string | undefined {
  const manifest = require('../../package.json') as { peerDependencies?: Record<string, string> };
  return manifest.peerDependencies?.[name];
}

/** The error for a missing optional package: who needs it and the command that installs it. */
export function missingPackageError(name: string, feature: string): RuntimeError {
  const range = peerRange(name);
  return new RuntimeError(
    `${feature} needs the npm package "${name}", which is not installed (kiln-nn leaves it optional so that programs that do not use ${feature} do not download it): run npm install ${range === undefined ? name : `${name}@${range}`}`,
  );
}

const isMissing = (error: unknown, name: string): boolean => {
  const code = (error as { code?: string })?.code;
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && String((error as Error).message).includes(name);
};

/** The path of `file` inside the optional package `name`; throws missingPackageError if absent. */
export function resolveOptional(name: string, file: string, feature: string): string {
  try {
    return require.resolve(`${name}/${file}`);
  } catch (error) {
    if (isMissing(error, name)) throw missingPackageError(name, feature);
    throw error;
  }
}

/** Imports the optional package `name` on first use; throws missingPackageError if absent. */
export async function importOptional<Module>(name: string, feature: string): Promise<Module> {
  try {
    return (await import(name)) as Module;
  } catch (error) {
    if (isMissing(error, name)) throw missingPackageError(name, feature);
    throw error;
  }
}
