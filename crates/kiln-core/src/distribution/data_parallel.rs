//! What the engine's step does differently under data parallelism: each rank takes its part
//! of every global batch, the gradients are averaged over one flat buffer between the backward
//! pass and the optimizer update, and the batch logs are summed, so every rank applies the same
//! update and reports the global loss and metrics.
use super::{active, Communicator};
use crate::engine::{BatchLogs, Engine};
use crate::error::Result;
use std::sync::Arc;

/// This rank's rows of one global batch.
pub struct Shard<'a> {
    /// The rows this rank computes.
    pub idx: &'a [u32],
    /// This rank's rows over the global batch's (0 when it has none: the rows it computes
    /// then only keep the collective going and count for nothing).
    pub share: f32,
    comm: Option<Arc<Communicator>>,
}

impl Shard<'_> {
    /// Whether this rank's numbers are to be left out (it had no rows of this batch).
    pub fn idle(&self) -> bool {
        self.share == 0.0
    }

    /// The batch's logs as this rank contributes them to the sum: zeros when it had no rows.
    pub fn counted(&self, mut logs: BatchLogs) -> BatchLogs {
        if self.idle() {
            logs.iter_mut().for_each(|v| *v = 0.0);
        }
        logs
    }
}

/// The first row and the row count of `rank`'s part of a batch of `rows`.
fn part(rows: usize, rank: usize, size: usize) -> (usize, usize) {
    let (base, extra) = (rows / size, rows % size);
    (rank * base + rank.min(extra), base + usize::from(rank < extra))
}

/// Splits a global batch as Keras' DataParallel does: contiguous parts, the first
/// `rows % size` ranks one row more. A rank left with no rows (a last batch smaller than the
/// number of ranks) computes the batch's first row and contributes nothing.
pub fn shard(idx: &[u32]) -> Shard<'_> {
    let Some(comm) = active() else { return Shard { idx, share: 1.0, comm: None } };
    let rows = idx.len();
    let (start, len) = part(rows, comm.rank, comm.size);
    if len == 0 {
        return Shard { idx: &idx[..rows.min(1)], share: 0.0, comm: Some(comm) };
    }
    Shard { idx: &idx[start..start + len], share: len as f32 / rows as f32, comm: Some(comm) }
}

/// Replaces each rank's gradients (of its rows' mean loss) with the global batch's: their sum
/// weighted by each rank's share of the rows; and the batch's logs with their sum. One flat
/// float32 buffer, one allreduce per step, so every step is exactly one collective whatever
/// runs of batches each rank's calls cover. `nodes` are the graph nodes of the trainable
/// variables, whose entries of `grads` the optimizer reads.
pub fn average_gradients(shard: &Shard, grads: &mut [Vec<f32>], nodes: impl Iterator<Item = usize>, logs: &mut BatchLogs) -> Result<()> {
    let Some(comm) = &shard.comm else { return Ok(()) };
    let mut wanted = vec![false; grads.len()];
    nodes.for_each(|n| wanted[n] = true);
    let mut grads: Vec<&mut Vec<f32>> = grads.iter_mut().zip(wanted).filter_map(|(g, w)| w.then_some(g)).collect();
    let mut flat = Vec::with_capacity(grads.iter().map(|g| g.len()).sum::<usize>() + logs.len());
    for g in &grads {
        flat.extend(g.iter().map(|v| v * shard.share));
    }
    // Per-batch counts and sums: float32 keeps them to about 1e-7 relative.
    flat.extend(logs.iter().map(|&v| v as f32));
    let flat = comm.sum_f32(flat, "averaging the gradients")?;
    let mut offset = 0;
    for g in grads.iter_mut() {
        let n = g.len();
        g.copy_from_slice(&flat[offset..offset + n]);
        offset += n;
    }
    logs.iter_mut().zip(&flat[offset..]).for_each(|(l, &v)| *l = v as f64);
    Ok(())
}

/// Sums batches' logs over the ranks (evaluation; an idle rank's logs are zeros: `Shard::counted`).
pub fn sum_batch_logs(logs: &mut [BatchLogs]) -> Result<()> {
    let Some(comm) = active() else { return Ok(()) };
    let flat: Vec<f64> = logs.iter().flatten().copied().collect();
    let flat = comm.sum_f64(flat, "summing the batch logs")?;
    let mut offset = 0;
    for batch in logs.iter_mut() {
        let n = batch.len();
        batch.copy_from_slice(&flat[offset..offset + n]);
        offset += n;
    }
    Ok(())
}

/// Makes every rank start from rank 0's state: its weights (trainable or not), optimizer state,
/// step count and dropout stream (each rank then draws its own masks, offset by its rank).
pub fn broadcast_engine_state(engine: &mut Engine) -> Result<()> {
    let Some(comm) = active() else { return Ok(()) };
    let variables = engine.variables().to_vec();
    let mut flat: Vec<f32> = Vec::new();
    for v in &variables {
        flat.extend_from_slice(&v.data.read().unwrap_or_else(|e| e.into_inner()));
    }
    let per_variable = engine.optimizer_slots_per_variable().ok();
    if per_variable.is_some() {
        for i in 0..variables.len() {
            for slot in engine.optimizer_slots(i)? {
                flat.extend(slot);
            }
        }
    }
    let flat = comm.broadcast_f32(flat, "broadcasting rank 0's weights and optimizer state")?;
    let mut offset = 0;
    for v in &variables {
        let mut data = v.data.write().unwrap_or_else(|e| e.into_inner());
        let n = data.len();
        data.copy_from_slice(&flat[offset..offset + n]);
        offset += n;
    }
    if let Some(per_variable) = per_variable {
        for (i, v) in variables.iter().enumerate() {
            let len: usize = v.shape.iter().product();
            let slots = (0..per_variable).map(|k| flat[offset + k * len..offset + (k + 1) * len].to_vec()).collect();
            engine.set_optimizer_slots(i, slots)?;
            offset += per_variable * len;
        }
    }
    let mut counters: Vec<u8> = engine.step().to_le_bytes().to_vec();
    for word in engine.dropout_state() {
        counters.extend(word.to_le_bytes());
    }
    let counters = comm.broadcast_bytes(counters, "broadcasting rank 0's step count")?;
    let word = |k: usize| u64::from_le_bytes(counters[k * 8..k * 8 + 8].try_into().unwrap());
    engine.set_step(word(0));
    let mut dropout = [word(1), word(2), word(3), word(4)];
    dropout[0] ^= (comm.rank as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    if dropout == [0; 4] {
        dropout[0] = 1;
    }
    engine.set_dropout_state(dropout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_process_trains_on_every_row() {
        let idx = [5, 3, 9];
        let s = shard(&idx);
        assert_eq!(s.idx, &idx);
        assert_eq!(s.share, 1.0);
        assert!(!s.idle());
    }

    #[test]
    fn a_global_batch_splits_into_contiguous_balanced_parts() {
        assert_eq!((0..2).map(|r| part(64, r, 2)).collect::<Vec<_>>(), [(0, 32), (32, 32)]);
        assert_eq!((0..3).map(|r| part(10, r, 3)).collect::<Vec<_>>(), [(0, 4), (4, 3), (7, 3)]);
        // A last batch smaller than the job: the last ranks have no rows.
        assert_eq!((0..4).map(|r| part(2, r, 4)).collect::<Vec<_>>(), [(0, 1), (1, 1), (2, 0), (2, 0)]);
    }
}
