// The serving peer: the same HTTP server as examples/serve.ts (same JSON format, same dynamic
// batching), predicting with onnxruntime-node on the model's exported ONNX file.
//   node --import tsx benches/serving/onnx_server.mjs model.onnx [port]
import ort from 'onnxruntime-node';
import { startServer } from '../../examples/serve.ts';

const [path, port = '8502'] = process.argv.slice(2);
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

const { url } = await startServer(predictor, { port: Number(port) });
console.log(`Serving ${path} (onnxruntime-node) at ${url}/predict`);
