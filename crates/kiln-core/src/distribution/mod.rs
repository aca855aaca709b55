//! Data-parallel training across processes (started by `mpirun`): the communicator that joins
//! them, and the hooks the engine's step calls (`data_parallel`). Nothing here runs unless a
//! script asks for distribution, and libmpi is only loaded then.
mod communicator;
mod data_parallel;
pub mod mpi;

pub use communicator::{Communicator, Peer};
pub use data_parallel::{average_gradients, broadcast_engine_state, shard, sum_batch_logs, Shard};

use crate::error::Result;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

/// MPI is initialized once per process; the communicator lives until the process ends.
static COMMUNICATOR: OnceLock<Arc<Communicator>> = OnceLock::new();
/// Set while data-parallel training is on (`setDistribution(DataParallel())`).
static DATA_PARALLEL: RwLock<Option<Arc<Communicator>>> = RwLock::new(None);

/// Joins the MPI job (loading libmpi on first use) and turns data parallelism on.
pub fn enable(timeout: Duration) -> Result<Arc<Communicator>> {
    let comm = match COMMUNICATOR.get() {
        Some(c) => c.clone(),
        None => {
            let c = Arc::new(Communicator::join()?);
            share_random_stream(&c)?;
            COMMUNICATOR.get_or_init(|| c).clone()
        }
    };
    comm.set_timeout(timeout);
    *DATA_PARALLEL.write().unwrap_or_else(|e| e.into_inner()) = Some(comm.clone());
    Ok(comm)
}

/// Every rank continues rank 0's global random stream, so what a script draws after joining
/// (a Dataset's shuffle, initial weights) is the same on every rank even without `setSeed`.
fn share_random_stream(comm: &Communicator) -> Result<()> {
    let state = crate::rng::with_global(|r| r.state());
    let bytes = comm.broadcast_bytes(state.iter().flat_map(|w| w.to_le_bytes()).collect(), "sharing rank 0's random stream")?;
    let words: Vec<u64> = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
    if let Some(rng) = crate::rng::Rng::from_state([words[0], words[1], words[2], words[3]]) {
        crate::rng::with_global(|r| *r = rng);
    }
    Ok(())
}

/// Turns data parallelism off (MPI stays initialized: it cannot be started twice).
pub fn disable() {
    *DATA_PARALLEL.write().unwrap_or_else(|e| e.into_inner()) = None;
}

/// The communicator while data parallelism is on.
pub fn active() -> Option<Arc<Communicator>> {
    DATA_PARALLEL.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The communicator if MPI was ever joined (for finalizing at exit).
pub fn joined() -> Option<Arc<Communicator>> {
    COMMUNICATOR.get().cloned()
}
