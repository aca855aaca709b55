// Which callbacks run on which rank: those that write files run on the chief only (every rank
// writing the same path would race), the others on every rank (their logs are global, so
// EarlyStopping and friends decide the same everywhere).
import { BackupAndRestore } from '../callbacks/backup_and_restore.js';
import type { Callback } from '../callbacks/callback.js';
import { CSVLogger } from '../callbacks/csv_logger.js';
import { ModelCheckpoint } from '../callbacks/model_checkpoint.js';
import { TensorBoard } from '../callbacks/tensorboard/tensorboard.js';
import { activeJob } from './distribution.js';

/** The built-in callbacks that write files; BackupAndRestore's restore reaches the others by rank 0's broadcast. */
const CHIEF_ONLY_CALLBACKS = [ModelCheckpoint, CSVLogger, TensorBoard, BackupAndRestore];

/** The callbacks this rank runs. */
export function callbacksForThisRank(callbacks: Callback[]): Callback[] {
  const job = activeJob();
  if (!job || job.rank === 0) return callbacks;
  return callbacks.filter((cb) => !CHIEF_ONLY_CALLBACKS.some((kind) => cb instanceof kind));
}

/** Whether this rank prints progress bars. */
export function printsProgress(): boolean {
  return (activeJob()?.rank ?? 0) === 0;
}
