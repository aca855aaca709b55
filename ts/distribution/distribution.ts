// The distribution in effect (Keras' `set_distribution` / `distribution`), and this process's
// place in the job. Asking for one joins the MPI job: libmpi is loaded then, never before.
import { RuntimeError, ValueError } from '../errors.js';
import { callNative, native } from '../native.js';
import { describeValue } from '../utils/options.js';
import { DataParallel } from './data_parallel.js';

interface Active {
  strategy: DataParallel;
  rank: number;
  size: number;
  /** The libmpi loaded, and its version line. */
  library: string;
  version: string;
}

let active: Active | undefined;
let handlersInstalled = false;

/**
 * Sets the distribution every later `fit`, `evaluate` and `trainOnBatch` uses; `null` (or
 * undefined) goes back to one process. Needs Open MPI: start the script with `mpirun`.
 */
export function setDistribution(value: DataParallel | null | undefined): void {
  if (value === null || value === undefined) {
    if (active) native.distributionDisable();
    active = undefined;
    return;
  }
  if (!(value instanceof DataParallel)) throw new ValueError(`setDistribution: expected a kiln.distribution.DataParallel or null, got ${describeValue(value)}`);
  const info = callNative(() => native.distributionEnable(value.timeout));
  active = { strategy: value, ...info };
  installHandlers();
}

/** The distribution set with `setDistribution`, or undefined (one process). */
export function distribution(): DataParallel | undefined {
  return active?.strategy;
}

/** This process's rank in the job (0 without a distribution). */
export function rank(): number {
  return active?.rank ?? 0;
}

/** The number of processes in the job (1 without a distribution). */
export function size(): number {
  return active?.size ?? 1;
}

/** Whether this process is the chief (rank 0): the one that prints progress and writes files. */
export function isChief(): boolean {
  return rank() === 0;
}

/** @internal The job while a distribution is set. */
export function activeJob(): Active | undefined {
  return active;
}

/**
 * At exit the process leaves MPI cleanly, or, exiting with an error, tells the other ranks so
 * they stop at once. mpirun stops the job's other ranks with SIGTERM when one dies: they say why.
 */
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', (code) => {
    if (code === 0 && !native.distributionFailure()) native.distributionFinalize();
    else native.distributionAnnounceFailure(`its process exited with code ${code}`);
  });
  process.on('SIGTERM', () => {
    const dead = native.distributionDeadPeers();
    const why = dead.length > 0 ? `rank ${dead.join(' and rank ')} on this host ended` : 'mpirun sends it when another rank failed (its message names the rank), else it came from outside the job';
    process.stderr.write(`${new RuntimeError(`kiln.distribution: rank ${rank()} received SIGTERM and stops: ${why}`).stack?.split('\n')[0]}\n`);
    process.exit(143);
  });
}
