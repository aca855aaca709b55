// ResNet50 / MobileNetV2 inference in onnxruntime-node on kiln's own exported ONNX files
// (kiln/export_onnx.mjs), measured as kiln/infer_apps.mjs measures kiln.
//
// Usage: node peers/infer_apps_ort.mjs --files ResNet50=a.onnx,MobileNetV2=b.onnx [--batches 1,32] [--size 224] [--threads 0] [--min-time 2] [--min-calls 3]
// --threads sets intraOpNumThreads (0: onnxruntime's default, one per core). Prints one JSON line.
import ort from 'onnxruntime-node';
import { emit, now, parseArgs, round } from '../lib/common.mjs';
import { fixedInputs, throughput } from '../lib/timing.mjs';

const args = parseArgs(process.argv.slice(2), { files: '', batches: '1,32', size: 224, threads: 0, minTime: 2, minCalls: 3 });
const results = {};
for (const spec of args.files.split(',').filter(Boolean)) {
  const [name, file] = spec.split('=');
  const t0 = now();
  const session = await ort.InferenceSession.create(file, args.threads > 0 ? { intraOpNumThreads: args.threads } : {});
  results[name] = { build_s: round(now() - t0, 2) };
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  for (const batch of String(args.batches).split(',').map(Number)) {
    const feeds = { [input]: new ort.Tensor('float32', fixedInputs(batch * args.size * args.size * 3), [batch, args.size, args.size, 3]) };
    results[name][`batch=${batch}`] = await throughput(async () => (await session.run(feeds))[output].data, batch, { warmup: batch === 1 ? 2 : 1, minCalls: args.minCalls, minTime: args.minTime });
  }
}
emit({ peer: 'onnxruntime', workload: 'apps', size: args.size, results, peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1) });
