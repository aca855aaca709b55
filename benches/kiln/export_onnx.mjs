// Writes kiln's own ONNX export of a benchmark model, for the onnxruntime-node peer:
//   node kiln/export_onnx.mjs --model seed_mlp|ResNet50|MobileNetV2 [--size 224] --out FILE
// seed_mlp: the seed MLP (random weights); ResNet50 / MobileNetV2: kiln.applications with
// weights null, classifier on, input [size, size, 3]. Uses `model.export(path, { format: 'onnx' })`.
import { loadKiln } from '../lib/kiln.mjs';
import { emit, parseArgs, round } from '../lib/common.mjs';
import { statSync } from 'node:fs';

const args = parseArgs(process.argv.slice(2), { model: 'seed_mlp', size: 224, out: '', seed: 1 });
if (!args.out) throw new Error('--out FILE is required');
const kiln = await loadKiln();
kiln.setSeed(args.seed);
const t0 = performance.now();
const model =
  args.model === 'seed_mlp'
    ? new kiln.Sequential([
        new kiln.layers.Flatten({ inputShape: [28, 28] }),
        new kiln.layers.Dense(128, { activation: 'relu' }),
        new kiln.layers.Dropout(0.2),
        new kiln.layers.Dense(10, { activation: 'softmax' }),
      ])
    : await kiln.applications[args.model]({ weights: null, inputShape: [args.size, args.size, 3] });
await model.export(args.out, { format: 'onnx' });
emit({ model: args.model, size: args.size, out: args.out, bytes: statSync(args.out).size, seconds: round((performance.now() - t0) / 1000, 2) });
