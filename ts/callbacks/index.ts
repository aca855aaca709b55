/**
 * Callbacks, as Keras' `keras.callbacks`: objects whose hooks `fit`, `evaluate` and `predict` call
 * at the start and end of training, epochs, batches and runs (early stopping, checkpoints, learning
 * rate changes, logs for TensorBoard and CSV files, or your own subclass of `Callback`).
 * @module
 */
export { BackupAndRestore, type BackupAndRestoreArgs } from './backup_and_restore.js';
export { Callback, type Logs, type TrainingParams } from './callback.js';
export { CSVLogger, type CSVLoggerOptions } from './csv_logger.js';
export { EarlyStopping, type EarlyStoppingArgs } from './early_stopping.js';
export { History } from './history.js';
export { LambdaCallback, type LambdaCallbackArgs } from './lambda_callback.js';
export { LearningRateScheduler, type LearningRateScheduleFunction } from './learning_rate_scheduler.js';
export { ModelCheckpoint, type ModelCheckpointArgs } from './model_checkpoint.js';
export { MonitorCallback, type MonitorMode } from './monitor_callback.js';
export { ProgbarLogger } from './progbar_logger.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './reduce_lr_on_plateau.js';
export { TensorBoard, type TensorBoardArgs } from './tensorboard/tensorboard.js';
export { TerminateOnNaN, type TerminateOnNaNArgs } from './terminate_on_nan.js';
