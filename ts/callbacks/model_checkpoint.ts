import * as path from 'node:path';
import { ValueError } from '../errors.js';
import type { Logs } from './callback.js';
import { numberOption } from './callback_options.js';
import { fixedDirectory, prepareDirectory } from './checkpoint_directory.js';
import { formatFilepath } from './filepath_template.js';
import { MonitorCallback, type MonitorMode } from './monitor_callback.js';
import { checkedMainArguments } from '../layers/main_arguments.js';
import { describeValue } from '../utils/options.js';

/** The options of ModelCheckpoint; unknown keys are refused. */
export interface ModelCheckpointArgs {
  /** The logged quantity that decides the best model (default 'val_loss'). */
  monitor?: string;
  /** 1 prints a line on each save or skipped save (default 0). */
  verbose?: 0 | 1;
  /** Save only when the monitored quantity improves (default false: every epoch). */
  saveBestOnly?: boolean;
  /** Save the weights alone (`.weights.h5`) instead of the whole model (`.keras`). Default false. */
  saveWeightsOnly?: boolean;
  /** 'min', 'max' or 'auto' (default: from the name, as EarlyStopping). */
  mode?: MonitorMode;
  /** When to save; only 'epoch' (the default) is supported. */
  saveFreq?: 'epoch';
  /** With saveBestOnly: the value the first save must beat (default none). */
  initialValueThreshold?: number;
}

/**
 * Saves the model (or its weights) at the end of epochs: Keras' `ModelCheckpoint`. The path may
 * hold fields filled from the epoch (from 1) and the logs: 'ckpt-{epoch:02d}-{val_loss:.2f}.keras'.
 * @example
 * ```ts
 * const checkpoint = new kiln.callbacks.ModelCheckpoint('best.keras', { monitor: 'val_accuracy', saveBestOnly: true });
 * await model.fit(x, y, { epochs: 20, validationSplit: 0.1, callbacks: [checkpoint] });
 * ```
 */
export class ModelCheckpoint extends MonitorCallback {
  /** The path saved to, with its fields (`{epoch:02d}`, `{val_loss:.2f}`, ...) filled at each save. */
  readonly filepath: string;
  /** 1 prints a line on each save or skipped save. */
  readonly verbose: 0 | 1;
  /** Whether it saves only when the monitored quantity improves. */
  readonly saveBestOnly: boolean;
  /** Whether it saves the weights alone. */
  readonly saveWeightsOnly: boolean;
  /** When it saves: at epoch ends. */
  readonly saveFreq = 'epoch';
  private readonly initialValueThreshold?: number;

  constructor(filepath: string | (ModelCheckpointArgs & { filepath: string }), args: ModelCheckpointArgs = {}) {
    const { main, options } = checkedMainArguments<ModelCheckpointArgs>(
      'ModelCheckpoint',
      [filepath, args],
      ['filepath'],
      ['monitor', 'verbose', 'saveBestOnly', 'saveWeightsOnly', 'mode', 'saveFreq', 'initialValueThreshold'],
    );
    [filepath, args] = [main[0] as string, options];
    const { monitor = 'val_loss', verbose = 0, saveBestOnly = false, saveWeightsOnly = false, mode = 'auto', saveFreq = 'epoch', initialValueThreshold } = args;
    super(monitor, mode, 0);
    if (typeof filepath !== 'string' || filepath === '') throw new ValueError(`ModelCheckpoint: \`filepath\` must be a path, got ${describeValue(filepath)}`);
    if (saveWeightsOnly && !filepath.endsWith('.weights.h5')) {
      throw new ValueError(`When using \`saveWeightsOnly: true\` in \`ModelCheckpoint\`, the filepath provided must end in \`.weights.h5\` (Keras weights format). Received: filepath=${filepath}`);
    }
    if (!saveWeightsOnly && !/\.(keras|h5)$/.test(filepath)) {
      throw new ValueError(`The filepath provided must end in \`.keras\` (Keras model format). Received: filepath=${filepath}`);
    }
    if (saveFreq !== 'epoch') throw new ValueError(`ModelCheckpoint: only \`saveFreq: 'epoch'\` is supported, got ${describeValue(saveFreq)}`);
    this.filepath = filepath;
    this.verbose = verbose;
    this.saveBestOnly = Boolean(saveBestOnly);
    this.saveWeightsOnly = Boolean(saveWeightsOnly);
    if (initialValueThreshold !== undefined) this.initialValueThreshold = numberOption('ModelCheckpoint', 'initialValueThreshold', initialValueThreshold);
  }

  onTrainBegin(): void {
    this.resetMonitor();
    this.best = this.initialValueThreshold;
    prepareDirectory(fixedDirectory(this.filepath), 'ModelCheckpoint');
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const file = formatFilepath(this.filepath, { ...logs, epoch: epoch + 1 });
    const label = `Epoch ${String(epoch + 1).padStart(5, '0')}`;
    if (this.saveBestOnly) {
      const current = this.monitorValue(logs, 'Can save best model only');
      if (current === undefined) return;
      if (!this.isImprovement(current, this.best)) {
        if (this.verbose > 0) console.log(`\n${label}: ${this.monitor} did not improve from ${this.best?.toFixed(5)}`);
        return;
      }
      if (this.verbose > 0) console.log(`\n${label}: ${this.monitor} improved from ${this.best === undefined ? 'inf' : this.best.toFixed(5)} to ${current.toFixed(5)}, saving model to ${file}`);
      this.best = current;
    } else if (this.verbose > 0) {
      console.log(`\n${label}: saving model to ${file}`);
    }
    prepareDirectory(path.dirname(file), 'ModelCheckpoint');
    if (this.saveWeightsOnly) await this.model!.saveWeights(file);
    else await this.model!.save(file);
  }
}
