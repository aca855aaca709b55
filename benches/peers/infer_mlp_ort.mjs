// Seed-MLP inference in onnxruntime-node on kiln's exported ONNX file (kiln/export_onnx.mjs):
// one-sample latency and batch-1024 throughput, as kiln/infer_mlp.mjs measures them.
//
// Usage: node peers/infer_mlp_ort.mjs --model seed_mlp.onnx [--threads 0] [--latency-calls 2000] [--latency-warmup 200] [--batch 1024] [--min-time 1]
// `await session.run(feeds)` (its output is already a Float32Array); --threads sets
// intraOpNumThreads (0: onnxruntime's default, one per core). Prints one JSON line.
import ort from 'onnxruntime-node';
import { emit, parseArgs, round } from '../lib/common.mjs';
import { fixedInputs, latency, throughput } from '../lib/timing.mjs';

const args = parseArgs(process.argv.slice(2), { model: '', threads: 0, latencyCalls: 2000, latencyWarmup: 200, batch: 1024, minTime: 1 });
const session = await ort.InferenceSession.create(args.model, args.threads > 0 ? { intraOpNumThreads: args.threads } : {});
const [input] = session.inputNames;
const [output] = session.outputNames;
const feed = (n) => ({ [input]: new ort.Tensor('float32', fixedInputs(n * 784), [n, 28, 28]) });
const one = feed(1);
const many = feed(args.batch);
const run = async (feeds) => (await session.run(feeds))[output].data;
emit({
  peer: 'onnxruntime',
  workload: 'infer_mlp',
  latency: { run: await latency(() => run(one), { warmup: args.latencyWarmup, calls: args.latencyCalls }) },
  batch: args.batch,
  throughput: await throughput(() => run(many), args.batch, { minTime: args.minTime }),
  peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
});
