// kiln.serving: a model behind TensorFlow Serving's REST API.
export { kilnPredictor, type Predictor, type Signature } from './predictor.js';
export { modelNameOf, serve } from './serve.js';
export { type RunningServer, type ServeOptions, startServer } from './server.js';
