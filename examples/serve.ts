// Serving a saved model in TensorFlow Serving's REST shape (`npx kiln-nn serve` does the same):
//   npx tsx examples/serve.ts model.keras [port]
//   curl -d '{"instances": [[0.1, 0.2, ...]]}' http://127.0.0.1:8501/v1/models/model:predict
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';

export const { kilnPredictor, startServer } = kiln.serving;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path, port = '8501'] = process.argv.slice(2);
  const { url, modelName } = await kiln.serving.serve(path, { port: Number(port) });
  console.log(`Serving ${path} at ${url}/predict (and ${url}/v1/models/${modelName}:predict)`);
}
