/**
 * Keras 3's distribution API (`kiln.distribution`): data-parallel training over the processes
 * of an MPI job (`mpirun -np 4 node train.mjs`). `setDistribution(new DataParallel())` makes
 * every `fit` average its gradients over the ranks; a script that never calls it needs no MPI.
 * Open MPI is loaded when asked for (`apt-get install openmpi-bin libopenmpi-dev`).
 * @module
 */
export { DataParallel, type DataParallelArgs } from './data_parallel.js';
export { distribution, isChief, rank, setDistribution, size } from './distribution.js';
