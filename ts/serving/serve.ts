// `kiln-nn serve model.keras`: load a saved model and serve it until SIGTERM or SIGINT, which
// shut the server down gracefully (requests in flight finish, new ones get 503).
import { basename, extname } from 'node:path';
import { loadModel } from '../saving/save_model.js';
import { kilnPredictor } from './predictor.js';
import { type RunningServer, type ServeOptions, startServer } from './server.js';

/** The model name a file gets by default: its name without extension, in the allowed characters. */
export function modelNameOf(path: string): string {
  return basename(path, extname(path)).replace(/[^\w.-]/g, '_') || 'default';
}

/**
 * Loads the model saved at `path` (.keras or .h5) and serves it (see ServeOptions; the model
 * name defaults to the file's name). Throws the loader's error for a missing or damaged file.
 * SIGTERM and SIGINT shut it down gracefully.
 */
export async function serve(path: string, options: ServeOptions = {}): Promise<RunningServer> {
  const model = await loadModel(path);
  const running = await startServer(kilnPredictor(model), { ...options, modelName: options.modelName ?? modelNameOf(path) });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void running.shutdown());
  return running;
}
