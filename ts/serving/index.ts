/**
 * A saved model behind TensorFlow Serving's REST API (`npx kiln-nn serve model.keras` from the
 * command line): `serve` loads a file and serves it, `startServer` serves any `Predictor`.
 * @module
 */
export { kilnPredictor, type Predictor, type Signature } from './predictor.js';
export { modelNameOf, serve } from './serve.js';
export { type RunningServer, type ServeOptions, startServer } from './server.js';
