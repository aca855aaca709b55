// predict's view of a run: the rows it covers, and the outputs of its runs joined.
import { typedArrayFor } from '../data/element.js';
import { type Tensor, tensor } from '../tensor.js';
import type { BatchRun } from './data_adapters/index.js';

/** Joins batches of outputs along the first axis on the host (one copy). */
export function concatRows(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const rows = parts.reduce((n, t) => n + t.shape[0], 0);
  const out = typedArrayFor(parts[0].dtype, rows * (parts[0].size / parts[0].shape[0]));
  let offset = 0;
  for (const part of parts) {
    out.set(part.dataSync(), offset);
    offset += part.size;
  }
  return tensor(out, [rows, ...parts[0].shape.slice(1)], parts[0].dtype);
}

/** The rows of a run's batches, when the run is not all of its data (predict with `steps`). */
export function runRows(run: BatchRun): Tensor[] {
  const rows = run.data.inputs[0].shape[0];
  const begin = run.first * run.batchSize;
  const end = Math.min(rows, (run.first + run.count) * run.batchSize);
  if (begin === 0 && end === rows) return run.data.inputs;
  return run.data.inputs.map((t) => t.slice([begin, ...t.shape.slice(1).map(() => 0)], [end - begin, ...t.shape.slice(1).map(() => -1)]));
}
