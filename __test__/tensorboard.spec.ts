// The TensorBoard callback: event files from a real training run, read back twice: by a
// parser written here (TFRecord framing, masked CRC32C, the Event/Summary protobufs from their
// .proto definitions) and by TensorBoard's own EventAccumulator from pip.
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import * as kiln from 'kiln-nn';
import { findPython, runPython } from './helpers/python.js';

// tensorboard/compat/proto's messages, the fields this test reads.
const PROTO = `
syntax = "proto3";
package tensorboard;
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what { string file_version = 3; bytes graph_def = 4; Summary summary = 5; }
  SourceMetadata source_metadata = 10;
}
message SourceMetadata { string writer = 1; }
message Summary {
  message Value { string tag = 1; float simple_value = 2; TensorProto tensor = 8; SummaryMetadata metadata = 9; }
  repeated Value value = 1;
}
message SummaryMetadata {
  message PluginData { string plugin_name = 1; bytes content = 2; }
  PluginData plugin_data = 1;
}
message TensorShapeProto { message Dim { int64 size = 1; } repeated Dim dim = 2; }
message TensorProto { int32 dtype = 1; TensorShapeProto tensor_shape = 2; bytes tensor_content = 4; }
message NodeDef { string name = 1; string op = 2; repeated string input = 3; }
message GraphDef { repeated NodeDef node = 1; }
`;
const root = protobuf.parse(PROTO).root;
const Event = root.lookupType('tensorboard.Event');
const GraphDef = root.lookupType('tensorboard.GraphDef');

/** CRC32C (Castagnoli), bit by bit: independent of the library the writer uses. */
function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const masked = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

interface ParsedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  graphDef?: Uint8Array;
  summary?: { value: { tag: string; tensor: { dtype: number; tensorShape: { dim?: { size: number }[] }; tensorContent: Uint8Array }; metadata: { pluginData: { pluginName: string } } }[] };
}

/** Every record of an event file, its framing and both CRCs checked. */
function readEvents(file: string): ParsedEvent[] {
  const data = readFileSync(file);
  const events: ParsedEvent[] = [];
  for (let offset = 0; offset < data.length; ) {
    const length = Number(data.readBigUInt64LE(offset));
    if (data.readUInt32LE(offset + 8) !== masked(crc32c(data.subarray(offset, offset + 8)))) throw new Error(`bad length CRC at ${offset}`);
    const record = data.subarray(offset + 12, offset + 12 + length);
    if (data.readUInt32LE(offset + 12 + length) !== masked(crc32c(record))) throw new Error(`bad data CRC at ${offset}`);
    events.push(Event.toObject(Event.decode(record), { longs: Number, defaults: true }) as ParsedEvent);
    offset += 12 + length + 4;
  }
  return events;
}

/** tag -> [step, value] of the scalar summaries, in file order. */
function scalars(events: ParsedEvent[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const e of events) {
    for (const v of e.summary?.value ?? []) {
      if (v.metadata.pluginData.pluginName !== 'scalars') continue;
      const content = Buffer.from(v.tensor.tensorContent);
      if (!out.has(v.tag)) out.set(v.tag, []);
      out.get(v.tag)!.push([e.step, content.readFloatLE(0)]);
    }
  }
  return out;
}

const eventFile = (dir: string) => {
  const files = readdirSync(dir);
  if (files.length !== 1) throw new Error(`expected one event file in ${dir}, got ${files.join(', ')}`);
  return join(dir, files[0]);
};

/** The seed-style MLP trained 3 epochs on 400 real digits with the callback. */
async function trainWithTensorBoard(args: kiln.callbacks.TensorBoardArgs) {
  kiln.setSeed(9);
  const [[xTrain, yTrain]] = await kiln.datasets.mnistDigits.loadData();
  const x = xTrain.slice([0, 0, 0], [400, -1, -1]).astype('float32').div(255);
  const y = yTrain.slice([0], [400]);
  const model = new kiln.Sequential([
    new kiln.layers.Flatten({ inputShape: [28, 28], name: 'pixels' }),
    new kiln.layers.Dense(32, { activation: 'relu', name: 'hidden' }),
    new kiln.layers.Dense(10, { activation: 'softmax', name: 'scores' }),
  ]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.002 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const logDir = mkdtempSync(join(tmpdir(), 'kiln-tensorboard-'));
  const callback = new kiln.callbacks.TensorBoard({ logDir, ...args });
  const history = await model.fit(x, y, { epochs: 3, batchSize: 64, validationSplit: 0.2, verbose: 0, callbacks: [callback] });
  return { model, history, logDir, callback, x, y };
}

const f32 = Math.fround;

test('TensorBoard writes Keras 3 scalars, histograms and the graph in TFRecord event files', async (t) => {
  const { model, history, logDir, callback } = await trainWithTensorBoard({ histogramFreq: 1, updateFreq: 'batch' });
  const trainFile = eventFile(join(logDir, 'train'));
  const validationFile = eventFile(join(logDir, 'validation'));
  t.deepEqual(callback.eventFiles, [trainFile, validationFile]);
  t.regex(trainFile, /\/events\.out\.tfevents\.\d{10}\..+\.\d+\.\d+\.v2$/);
  const train = readEvents(trainFile);
  const validation = readEvents(validationFile);
  for (const events of [train, validation]) t.is(events[0].fileVersion, 'brain.Event:2');

  const trainScalars = scalars(train);
  t.deepEqual([...trainScalars.keys()].sort(), ['batch_accuracy', 'batch_loss', 'epoch_accuracy', 'epoch_learning_rate', 'epoch_loss']);
  t.deepEqual(
    trainScalars.get('epoch_loss'),
    history.history.loss.map((v, epoch) => [epoch, f32(v)]),
  );
  t.deepEqual(
    trainScalars.get('epoch_accuracy'),
    history.history.accuracy.map((v, epoch) => [epoch, f32(v)]),
  );
  t.deepEqual(
    trainScalars.get('epoch_learning_rate'),
    [0, 1, 2].map((epoch) => [epoch, f32(0.002)]),
  );
  // 320 training samples in batches of 64: 5 batches an epoch, steps 1..15; the running loss
  // after an epoch's last batch is that epoch's loss.
  const batchLoss = trainScalars.get('batch_loss')!;
  t.deepEqual(
    batchLoss.map(([step]) => step),
    Array.from({ length: 15 }, (_, i) => i + 1),
  );
  history.history.loss.forEach((loss, epoch) => t.true(Math.abs(batchLoss[epoch * 5 + 4][1] - loss) < 1e-6));

  const validationScalars = scalars(validation);
  t.deepEqual([...validationScalars.keys()].sort(), ['epoch_accuracy', 'epoch_loss', 'evaluation_accuracy_vs_iterations', 'evaluation_loss_vs_iterations']);
  t.deepEqual(
    validationScalars.get('epoch_loss'),
    history.history.val_loss.map((v, epoch) => [epoch, f32(v)]),
  );
  t.deepEqual(
    validationScalars.get('evaluation_accuracy_vs_iterations'),
    history.history.val_accuracy.map((v, epoch) => [(epoch + 1) * 5, f32(v)]),
  );

  // Histograms: 30 float64 buckets [left, right, count] over each weight's range, per epoch.
  const histograms = train.flatMap((e) => (e.summary?.value ?? []).filter((v) => v.metadata.pluginData.pluginName === 'histograms').map((v) => ({ step: e.step, ...v })));
  t.deepEqual([...new Set(histograms.map((h) => h.tag))], ['hidden/kernel/histogram', 'hidden/bias/histogram', 'scores/kernel/histogram', 'scores/bias/histogram']);
  t.deepEqual(
    histograms.filter((h) => h.tag === 'hidden/kernel/histogram').map((h) => h.step),
    [0, 1, 2],
  );
  const last = histograms.filter((h) => h.tag === 'scores/kernel/histogram').pop()!;
  t.is(last.tensor.dtype, 2);
  t.deepEqual(
    last.tensor.tensorShape.dim!.map((d) => d.size),
    [30, 3],
  );
  const content = Buffer.from(last.tensor.tensorContent);
  const rows = Array.from({ length: 30 }, (_, b) => [0, 1, 2].map((k) => content.readDoubleLE((b * 3 + k) * 8)));
  const kernel = Array.from(model.getLayer('scores').getWeights()[0].dataSync());
  const min = Math.min(...kernel);
  const max = Math.max(...kernel);
  t.is(rows[0][0], min);
  t.is(rows[29][1], max);
  t.is(
    rows.reduce((sum, row) => sum + row[2], 0),
    32 * 10,
  );
  const width = (max - min) / 30;
  const expected = new Array(30).fill(0);
  for (const v of kernel) expected[Math.min(29, Math.floor((v - min) / width))]++;
  t.deepEqual(
    rows.map((row) => row[2]),
    expected,
  );

  const graphEvent = train.find((e) => e.graphDef && e.graphDef.length > 0)!;
  const graph = GraphDef.toObject(GraphDef.decode(graphEvent.graphDef!)) as { node: { name: string; op: string; input?: string[] }[] };
  const matmul = graph.node.find((n) => n.name === 'hidden/matmul')!;
  t.deepEqual(matmul.input, [graph.node.find((n) => n.name.startsWith('pixels/'))!.name, 'hidden/kernel']);
  t.deepEqual(graph.node.find((n) => n.name === 'hidden/relu')!.input, ['hidden/add']);
});

test('TensorBoard updateFreq n writes batch values every n batches; epoch writes none', async (t) => {
  const every2 = await trainWithTensorBoard({ updateFreq: 2, writeGraph: false });
  const events = readEvents(eventFile(join(every2.logDir, 'train')));
  t.deepEqual(
    scalars(events)
      .get('batch_loss')!
      .map(([step]) => step),
    [2, 4, 6, 8, 10, 12, 14],
  );
  t.false(events.some((e) => e.graphDef && e.graphDef.length > 0));
  const perEpoch = await trainWithTensorBoard({});
  const tags = [...scalars(readEvents(eventFile(join(perEpoch.logDir, 'train')))).keys()];
  t.deepEqual(tags.sort(), ['epoch_accuracy', 'epoch_learning_rate', 'epoch_loss']);
  // evaluate() after training writes its results to a new validation file at the final step.
  const { model, callback, x, y } = perEpoch;
  const [loss] = await model.evaluate(x, y, { verbose: 0, callbacks: [callback] });
  const files = callback.eventFiles;
  t.is(files.length, 3);
  t.deepEqual(scalars(readEvents(files[2])).get('evaluation_loss_vs_iterations'), [[15, f32(loss)]]);
});

test('TensorBoard histograms a constant weight as TensorBoard does: all edges at the value, the count in the last bucket', async (t) => {
  kiln.setSeed(4);
  const model = new kiln.Sequential([new kiln.layers.Dense(4, { inputShape: [3], trainable: false, name: 'frozen' }), new kiln.layers.Dense(1, { name: 'head' })]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const logDir = mkdtempSync(join(tmpdir(), 'kiln-tensorboard-'));
  const x = kiln.random.normal([16, 3]);
  await model.fit(x, kiln.random.normal([16, 1]), { epochs: 1, verbose: 0, callbacks: [new kiln.callbacks.TensorBoard({ logDir, histogramFreq: 1, writeGraph: false })] });
  const events = readEvents(eventFile(join(logDir, 'train')));
  const bias = events.flatMap((e) => e.summary?.value ?? []).find((v) => v.tag === 'frozen/bias/histogram')!;
  const content = Buffer.from(bias.tensor.tensorContent);
  const rows = Array.from({ length: 30 }, (_, b) => [0, 1, 2].map((k) => content.readDoubleLE((b * 3 + k) * 8)));
  t.deepEqual(
    rows.slice(0, 29),
    Array.from({ length: 29 }, () => [0, 0, 0]),
  );
  t.deepEqual(rows[29], [0, 0, 4]);
});

test('TensorBoard refuses bad options', (t) => {
  t.throws(() => new kiln.callbacks.TensorBoard({ updateFreq: 'step' as never }), { instanceOf: kiln.ValueError, message: /updateFreq` must be 'epoch', 'batch' or a positive integer, got "step"/ });
  t.throws(() => new kiln.callbacks.TensorBoard({ histogramFreq: -1 }), { instanceOf: kiln.ValueError, message: /histogramFreq/ });
  t.throws(() => new kiln.callbacks.TensorBoard(''), { instanceOf: kiln.ValueError, message: /logDir/ });
  t.throws(() => new kiln.callbacks.TensorBoard({ log_dir: 'logs' } as never), {
    instanceOf: kiln.ValueError,
    message: /TensorBoard: unknown option 'log_dir'\. Valid options: 'histogramFreq', 'logDir', 'updateFreq', 'writeGraph'/,
  });
});

const READ_WITH_TENSORBOARD = `
import json, sys
from tensorboard.backend.event_processing import plugin_event_accumulator
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.util import tensor_util
out = {}
for run in ("train", "validation"):
    acc = EventAccumulator(sys.argv[1] + "/" + run, size_guidance={"tensors": 0})
    acc.Reload()
    tags = {}
    for tag in acc.Tags()["tensors"]:
        tags[tag] = [[e.step, tensor_util.make_ndarray(e.tensor_proto).tolist()] for e in acc.Tensors(tag)]
    # The accumulator the TensorBoard server itself uses, which files tags by plugin.
    server = plugin_event_accumulator.EventAccumulator(sys.argv[1] + "/" + run)
    server.Reload()
    plugins = {}
    for name in ("scalars", "histograms"):
        try:
            plugins[name] = sorted(server.PluginTagToContent(name))
        except KeyError:  # no tag of that plugin in this run
            plugins[name] = []
    out[run] = {"tensors": tags, "graph": acc.Tags()["graph"], "plugins": plugins}
print(json.dumps(out))
`;

test("TensorBoard's own reader (pip tensorboard) reads the tags, steps and values", async (t) => {
  const found = findPython(['tensorboard']);
  if ('missing' in found) {
    t.log(`skipped: ${found.missing}`);
    t.pass();
    return;
  }
  const { history, logDir, model } = await trainWithTensorBoard({ histogramFreq: 2, updateFreq: 'epoch' });
  const read = JSON.parse(runPython(found.python, READ_WITH_TENSORBOARD, [logDir])) as Record<
    string,
    { tensors: Record<string, [number, unknown][]>; graph: boolean; plugins: Record<string, string[]> }
  >;
  const { train, validation } = read;
  t.true(train.graph);
  t.deepEqual(train.plugins, {
    scalars: ['epoch_accuracy', 'epoch_learning_rate', 'epoch_loss'],
    histograms: ['hidden/bias/histogram', 'hidden/kernel/histogram', 'scores/bias/histogram', 'scores/kernel/histogram'],
  });
  t.deepEqual(validation.plugins, { scalars: ['epoch_accuracy', 'epoch_loss', 'evaluation_accuracy_vs_iterations', 'evaluation_loss_vs_iterations'], histograms: [] });
  t.deepEqual(Object.keys(train.tensors).sort(), [
    'epoch_accuracy',
    'epoch_learning_rate',
    'epoch_loss',
    'hidden/bias/histogram',
    'hidden/kernel/histogram',
    'scores/bias/histogram',
    'scores/kernel/histogram',
  ]);
  t.deepEqual(
    train.tensors.epoch_loss,
    history.history.loss.map((v, epoch) => [epoch, f32(v)]),
  );
  t.deepEqual(
    train.tensors.epoch_accuracy,
    history.history.accuracy.map((v, epoch) => [epoch, f32(v)]),
  );
  t.deepEqual(
    validation.tensors.epoch_loss,
    history.history.val_loss.map((v, epoch) => [epoch, f32(v)]),
  );
  t.deepEqual(
    validation.tensors.epoch_accuracy,
    history.history.val_accuracy.map((v, epoch) => [epoch, f32(v)]),
  );
  t.deepEqual(
    validation.tensors.evaluation_loss_vs_iterations.map(([step]) => step),
    [5, 10, 15],
  );
  // histogramFreq 2: epochs 0 and 2; the last one is of the final weights.
  const bias = train.tensors['scores/bias/histogram'];
  t.deepEqual(
    bias.map(([step]) => step),
    [0, 2],
  );
  const rows = bias[1][1] as number[][];
  const values = Array.from(model.getLayer('scores').getWeights()[1].dataSync());
  t.is(rows.length, 30);
  t.is(rows[0][0], Math.min(...values));
  t.is(rows[29][1], Math.max(...values));
  t.is(
    rows.reduce((sum, row) => sum + row[2], 0),
    10,
  );
});
