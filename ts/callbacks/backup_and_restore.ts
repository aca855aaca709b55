import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileFormatError, ValueError } from '../errors.js';
import { Callback, type Logs } from './callback.js';
import { prepareDirectory } from './checkpoint_directory.js';
import { checkedMainArguments } from '../layers/main_arguments.js';
import { describeValue } from '../utils/options.js';

/** The options of BackupAndRestore; unknown keys are refused. */
export interface BackupAndRestoreArgs {
  /** When to back up; only 'epoch' (the default) is supported. */
  saveFreq?: 'epoch';
  /** Remove the backup when training ends normally (default true). */
  deleteCheckpoint?: boolean;
}

const WEIGHTS = 'latest.weights.h5';
const METADATA = 'training_metadata.json';

/**
 * Backs up the weights, optimizer state and epoch at each epoch end, so a `fit` that was
 * interrupted resumes where it stopped when run again with the same backupDir: Keras'
 * `BackupAndRestore`.
 */
export class BackupAndRestore extends Callback {
  /** The folder holding the backup. */
  readonly backupDir: string;
  /** When it backs up: at each epoch end. */
  readonly saveFreq = 'epoch';
  /** Whether the backup is removed when training ends normally. */
  readonly deleteCheckpoint: boolean;

  constructor(backupDir: string | (BackupAndRestoreArgs & { backupDir: string }), args: BackupAndRestoreArgs = {}) {
    const { main, options } = checkedMainArguments<BackupAndRestoreArgs>('BackupAndRestore', [backupDir, args], ['backupDir'], ['saveFreq', 'deleteCheckpoint']);
    [backupDir, args] = [main[0] as string, options];
    super();
    if (typeof backupDir !== 'string' || backupDir === '') throw new ValueError(`BackupAndRestore: \`backupDir\` must be a directory path, got ${describeValue(backupDir)}`);
    if ((args.saveFreq ?? 'epoch') !== 'epoch') throw new ValueError(`BackupAndRestore: only \`saveFreq: 'epoch'\` is supported, got ${describeValue(args.saveFreq)}`);
    this.backupDir = backupDir;
    this.deleteCheckpoint = args.deleteCheckpoint ?? true;
  }

  private get weightsPath(): string {
    return path.join(this.backupDir, WEIGHTS);
  }

  private get metadataPath(): string {
    return path.join(this.backupDir, METADATA);
  }

  async onTrainBegin(): Promise<void> {
    prepareDirectory(this.backupDir, 'BackupAndRestore');
    if (!fs.existsSync(this.weightsPath) || !fs.existsSync(this.metadataPath)) return;
    let epoch: unknown;
    try {
      epoch = JSON.parse(fs.readFileSync(this.metadataPath, 'utf8')).epoch;
    } catch (error) {
      throw new FileFormatError(`BackupAndRestore: ${this.metadataPath} is not valid JSON: ${(error as Error).message}`);
    }
    if (!Number.isInteger(epoch) || (epoch as number) < 0) throw new FileFormatError(`BackupAndRestore: ${this.metadataPath} must hold the last finished epoch, got ${JSON.stringify(epoch)}`);
    await this.model!.loadWeights(this.weightsPath);
    this.model!.resumeEpoch = (epoch as number) + 1;
  }

  async onEpochEnd(epoch: number, _logs?: Logs): Promise<void> {
    // Weights first: the metadata names an epoch only once its weights are safely in place.
    await this.model!.saveWeights(this.weightsPath);
    const temporary = `${this.metadataPath}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify({ epoch }));
    fs.renameSync(temporary, this.metadataPath);
  }

  onTrainEnd(): void {
    if (this.deleteCheckpoint) fs.rmSync(this.backupDir, { recursive: true, force: true });
  }
}
