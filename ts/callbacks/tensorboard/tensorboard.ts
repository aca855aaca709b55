// Keras' TensorBoard callback: event files TensorBoard reads, under `logDir/train` and
// `logDir/validation`, with Keras 3's tags, steps and encodings.
import { join } from 'node:path';
import { ValueError } from '../../errors.js';
import { buildGraphSpec } from '../../models/graph_spec.js';
import { Callback, type Logs } from '../callback.js';
import type { EventFileWriter } from './event_file_writer.js';
import { checkOptionNames, describeValue } from '../../utils/options.js';

/** The options of TensorBoard; unknown keys are refused. */
export interface TensorBoardArgs {
  /** Where to write the logs (default 'logs'): event files go to `logDir/train` and `logDir/validation`. */
  logDir?: string;
  /**
   * Every how many epochs to write a histogram of each weight (tag `dense/kernel/histogram`);
   * default 0, none.
   */
  histogramFreq?: number;
  /** Write the model's graph for TensorBoard's Graphs tab (default true). */
  writeGraph?: boolean;
  /**
   * 'epoch' (default) writes `epoch_*` scalars only; 'batch' or an integer n also writes the
   * running `batch_*` values every n batches (step: the batch count since training began).
   */
  updateFreq?: 'epoch' | 'batch' | number;
}

const OPTIONS = ['logDir', 'histogramFreq', 'writeGraph', 'updateFreq'];

/**
 * Writes training logs for TensorBoard (`tensorboard --logdir logs`), as Keras 3 does:
 * at each epoch end `epoch_loss`, `epoch_accuracy`, ... and `epoch_learning_rate` to the train
 * run and the validation values (without `val_`) to the validation run, step = epoch; after
 * each validation `evaluation_loss_vs_iterations`, ... at step = optimizer iterations; with
 * `updateFreq`, `batch_loss`, ...; with `histogramFreq`, weight histograms.
 */
export class TensorBoard extends Callback {
  /** The folder the event files go under. */
  readonly logDir: string;
  /** Every how many epochs weight histograms are written (0: never). */
  readonly histogramFreq: number;
  /** Whether the model's graph is written. */
  readonly writeGraph: boolean;
  /** 'epoch', or the number of batches between batch summaries ('batch' is 1). */
  readonly updateFreq: 'epoch' | number;
  /** Epoch-only logging needs no batch-by-batch training: fit keeps running batches in chunks. */
  readonly batchHooksPerRun: boolean;
  private writers: { train?: EventFileWriter; validation?: EventFileWriter } = {};
  private files: string[] = [];
  /** The writer module (protobuf and CRC libraries), loaded when training or testing begins. */
  private eventFileWriter?: typeof EventFileWriter;
  private globalTrainBatch = 0;

  constructor(logDirOrArgs: string | TensorBoardArgs = {}, args: TensorBoardArgs = {}) {
    super();
    const options = typeof logDirOrArgs === 'string' ? { ...args, logDir: logDirOrArgs } : logDirOrArgs;
    checkOptionNames('TensorBoard', options, OPTIONS);
    const { logDir = 'logs', histogramFreq = 0, writeGraph = true, updateFreq = 'epoch' } = options;
    if (typeof logDir !== 'string' || logDir === '') throw new ValueError(`TensorBoard: \`logDir\` must be a directory path, got ${describeValue(logDir)}`);
    if (!Number.isInteger(histogramFreq) || histogramFreq < 0) throw new ValueError(`TensorBoard: \`histogramFreq\` must be a non-negative integer, got ${describeValue(histogramFreq)}`);
    if (updateFreq !== 'epoch' && updateFreq !== 'batch' && !(Number.isInteger(updateFreq) && (updateFreq as number) > 0)) {
      throw new ValueError(`TensorBoard: \`updateFreq\` must be 'epoch', 'batch' or a positive integer, got ${JSON.stringify(updateFreq)}`);
    }
    this.logDir = logDir;
    this.histogramFreq = histogramFreq;
    this.writeGraph = Boolean(writeGraph);
    this.updateFreq = updateFreq === 'batch' ? 1 : updateFreq;
    this.batchHooksPerRun = this.updateFreq === 'epoch';
  }

  /** The event files written since training began, in the order they were opened. */
  get eventFiles(): string[] {
    return [...this.files];
  }

  /** A run's writer, opened on first use (a later evaluate() opens a new validation file). */
  private writer(run: 'train' | 'validation'): EventFileWriter {
    let writer = this.writers[run];
    if (!writer) {
      writer = this.writers[run] = new this.eventFileWriter!(join(this.logDir, run));
      this.files.push(writer.path);
    }
    return writer;
  }

  private async loadWriter(): Promise<void> {
    this.eventFileWriter ??= (await import('./event_file_writer.js')).EventFileWriter;
  }

  async onTrainBegin(): Promise<void> {
    await this.loadWriter();
    this.closeWriters();
    this.files = [];
    this.globalTrainBatch = 0;
    const train = this.writer('train');
    if (this.writeGraph && this.model?.built) train.graph(graphNodes(this.model));
  }

  onTrainBatchEnd(batch: number, logs: Logs = {}): void {
    if (this.updateFreq === 'epoch') return;
    this.globalTrainBatch++;
    if (this.globalTrainBatch % this.updateFreq !== 0) return;
    for (const [name, value] of Object.entries(logs)) this.writer('train').scalar(`batch_${name}`, value, this.globalTrainBatch);
  }

  async onTestBegin(): Promise<void> {
    await this.loadWriter();
  }

  onTestEnd(logs: Logs = {}): void {
    const iterations = this.model?.optimizer?.iterations;
    if (iterations === undefined) return;
    for (const [name, value] of Object.entries(logs)) this.writer('validation').scalar(`evaluation_${name}_vs_iterations`, value, iterations);
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const train = Object.entries(logs).filter(([name]) => !name.startsWith('val_'));
    const validation = Object.entries(logs).filter(([name]) => name.startsWith('val_'));
    const optimizer = this.model?.optimizer;
    if (optimizer && !('learning_rate' in logs)) train.push(['learning_rate', optimizer.learningRateAt(optimizer.iterations)]);
    for (const [name, value] of train) this.writer('train').scalar(`epoch_${name}`, value, epoch);
    for (const [name, value] of validation) this.writer('validation').scalar(`epoch_${name.slice(4)}`, value, epoch);
    if (this.histogramFreq > 0 && epoch % this.histogramFreq === 0 && this.model) {
      for (const layer of this.model.layers) {
        for (const weight of layer.weights) this.writer('train').histogram(`${weight.path}/histogram`, weight.read().dataSync(), epoch);
      }
    }
  }

  onTrainEnd(): void {
    this.closeWriters();
  }

  private closeWriters(): void {
    this.writers.train?.close();
    this.writers.validation?.close();
    this.writers = {};
  }
}

/**
 * The model's op graph as GraphDef nodes: ops named under their layer's scope (`dense/matmul`,
 * `dense/relu`) and weights by path (`dense/kernel`), inputs by name, so TensorBoard folds
 * each layer into one box.
 */
function graphNodes(model: NonNullable<Callback['model']>): { name: string; op: string; input: string[] }[] {
  const { graph } = buildGraphSpec(model.engineInputs, model.outputs);
  const used = new Set<string>();
  const ops = graph.nodes.map((node) => ('function' in node ? node.function : node.op));
  const names = graph.nodes.map((node, i) => {
    const scoped = node.op === 'variable' || node.op === 'input' ? String(node.name) : `${String(node.name)}/${ops[i]}`;
    const base = scoped.replace(/[^A-Za-z0-9_./-]/g, '_');
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  });
  return graph.nodes.map((node, i) => ({ name: names[i], op: ops[i], input: ((node.inputs as number[]) ?? []).map((id) => names[id]) }));
}
