// The serving peer: kiln-nn's own HTTP server (kiln.serving.startServer: the same REST shape,
// body parsing and dynamic batching as `kiln-nn serve`) predicting with onnxruntime-node on the
// model's exported ONNX file, so the two servers differ only in the model runtime.
//   node benches/serving/onnx_server.mjs model.onnx [port]
import ort from 'onnxruntime-node';
import { loadKiln } from '../lib/kiln.mjs';

const [path, port = '8502'] = process.argv.slice(2);
const kiln = await loadKiln();
// BENCH_ORT_THREADS sets onnxruntime's intra-op threads (default: its own choice, one per core).
const threads = Number(process.env.BENCH_ORT_THREADS) || undefined;
const session = await ort.InferenceSession.create(path, threads ? { intraOpNumThreads: threads } : {});
const signature = (metadata) => metadata.map((m) => ({ name: m.name, shape: m.shape.slice(1) }));

const predictor = {
  inputs: signature(session.inputMetadata),
  outputs: signature(session.outputMetadata),
  async predict(inputs, count) {
    const feeds = Object.fromEntries(predictor.inputs.map((input, i) => [input.name, new ort.Tensor('float32', inputs[i], [count, ...input.shape])]));
    const results = await session.run(feeds);
    return predictor.outputs.map((output) => results[output.name].data);
  },
};

const modelName = process.env.BENCH_MODEL_NAME || 'model';
const running = await kiln.serving.startServer(predictor, { port: Number(port), modelName });
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => void running.shutdown());
console.log(`Serving ${path} (onnxruntime-node) as "${modelName}" at ${running.url}/v1/models/${modelName}:predict`);
