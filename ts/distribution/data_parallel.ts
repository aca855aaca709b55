// Keras 3's `keras.distribution.DataParallel`, over the processes of an MPI job: every rank
// holds the whole model, trains on its part of each global batch, and the gradients are
// averaged inside the native step before the optimizer update.
import { ValueError } from '../errors.js';
import { checkOptionNames, describeValue } from '../utils/options.js';

/** Options of `DataParallel`. */
export interface DataParallelArgs {
  /**
   * Seconds a rank waits for the others in one collective before it stops the job with an
   * error (a rank that is stuck, not dead: dead ranks are noticed within a second). Default 120.
   */
  timeout?: number;
  /** Keras' option: each rank takes its part of every batch of a Dataset (true, the only mode). */
  autoShardDataset?: boolean;
}

const DATA_PARALLEL_OPTIONS = ['timeout', 'autoShardDataset'];

/**
 * Keras' `keras.distribution.DataParallel`: every rank holds the whole model and trains on its
 * part of each global batch; gradients are averaged over the ranks after each backward pass.
 */
export class DataParallel {
  /** Seconds a rank waits in a collective before it stops with an error. */
  readonly timeout: number;
  /** Each rank trains on its part of every batch of a Dataset (always true). */
  readonly autoShardDataset = true;

  constructor(args: DataParallelArgs = {}) {
    const given = (args ?? {}) as Record<string, unknown>;
    for (const keras of ['devices', 'deviceMesh']) {
      if (keras in given) {
        throw new ValueError(
          `DataParallel: \`${keras}\` does not apply: kiln-nn's DataParallel spans the processes of an MPI job, one per rank; choose them with mpirun (\`mpirun -np 4 node train.mjs\`, \`-H host1:2,host2:2\` or \`--hostfile hosts\`)`,
        );
      }
    }
    checkOptionNames('DataParallel', given, DATA_PARALLEL_OPTIONS);
    const timeout = args.timeout ?? 120;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new ValueError(`DataParallel: \`timeout\` must be a positive number of seconds, got ${describeValue(timeout)}`);
    }
    if (args.autoShardDataset !== undefined && args.autoShardDataset !== true) {
      throw new ValueError(
        `DataParallel: only \`autoShardDataset: true\` is supported (each rank reads the whole Dataset and trains on its part of every batch), got ${describeValue(args.autoShardDataset)}`,
      );
    }
    this.timeout = timeout;
  }
}
