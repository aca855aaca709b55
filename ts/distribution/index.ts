// kiln.distribution: Keras 3's distribution API, data-parallel over the processes of an MPI job.
export { DataParallel, type DataParallelArgs } from './data_parallel.js';
export { distribution, isChief, rank, setDistribution, size } from './distribution.js';
