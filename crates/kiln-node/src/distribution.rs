//! `kiln.distribution`'s native side: joining the MPI job and the collectives the TypeScript
//! layer runs at the start and end of an epoch (the per-step ones run inside the engine). Every
//! collective is an async task, so the Node event loop stays free while a rank waits for the others.
use crate::engine::{lock, NativeEngine};
use crate::error::{guard, settle, to_js, Result};
use kiln_core::distribution;
use napi::bindgen_prelude::{AsyncTask, Buffer, Float64Array, Uint8Array};
use napi::{Env, Task};
use napi_derive::napi;
use std::time::Duration;

#[napi(object)]
pub struct DistributionInfo {
    pub rank: u32,
    pub size: u32,
    /// The libmpi loaded and its version line.
    pub library: String,
    pub version: String,
}

/// Joins the MPI job (loading libmpi) and turns data parallelism on; `timeout_seconds` bounds every wait for the other ranks.
#[napi]
pub fn distribution_enable(timeout_seconds: f64) -> Result<DistributionInfo> {
    guard(|| {
        let comm = distribution::enable(Duration::from_secs_f64(timeout_seconds)).map_err(to_js)?;
        Ok(DistributionInfo { rank: comm.rank as u32, size: comm.size as u32, library: comm.library(), version: comm.library_version() })
    })
}

/// Turns data parallelism off (the process stays in the MPI job).
#[napi]
pub fn distribution_disable() {
    distribution::disable();
}

type Work = Box<dyn FnOnce() -> kiln_core::Result<Vec<Vec<u8>>> + Send>;

pub struct CollectiveTask {
    work: Option<Work>,
}

impl Task for CollectiveTask {
    type Output = Result<Vec<Vec<u8>>>;
    type JsValue = Vec<Buffer>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let work = self.work.take().expect("a collective task runs once");
        Ok(guard(|| work().map_err(to_js)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(settle(&env, output)?.into_iter().map(Buffer::from).collect())
    }
}

fn communicator() -> Result<std::sync::Arc<distribution::Communicator>> {
    distribution::active().ok_or_else(|| to_js(kiln_core::KilnError::runtime("No distribution is set: call kiln.distribution.setDistribution(new kiln.distribution.DataParallel()) first")))
}

fn task(work: Work) -> AsyncTask<CollectiveTask> {
    AsyncTask::new(CollectiveTask { work: Some(work) })
}

fn f64_bytes(values: Vec<f64>) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Every rank's bytes, in rank order.
#[napi(ts_return_type = "Promise<Buffer[]>")]
pub fn distribution_allgather(bytes: Uint8Array, what: String) -> Result<AsyncTask<CollectiveTask>> {
    let comm = communicator()?;
    let bytes = bytes.to_vec();
    Ok(task(Box::new(move || comm.allgather_bytes(bytes, &what))))
}

/// Rank 0's bytes on every rank (each passes a buffer of the same length).
#[napi(ts_return_type = "Promise<Buffer[]>")]
pub fn distribution_broadcast(bytes: Uint8Array, what: String) -> Result<AsyncTask<CollectiveTask>> {
    let comm = communicator()?;
    let bytes = bytes.to_vec();
    Ok(task(Box::new(move || comm.broadcast_bytes(bytes, &what).map(|b| vec![b]))))
}

/// The elementwise maximum over the ranks (little-endian float64 bytes).
#[napi(ts_return_type = "Promise<Buffer[]>")]
pub fn distribution_max(values: Float64Array, what: String) -> Result<AsyncTask<CollectiveTask>> {
    let comm = communicator()?;
    let values = values.to_vec();
    Ok(task(Box::new(move || comm.max_f64(values, &what).map(|v| vec![f64_bytes(v)]))))
}

/// The elementwise sum over the ranks (little-endian float64 bytes).
#[napi(ts_return_type = "Promise<Buffer[]>")]
pub fn distribution_sum(values: Float64Array, what: String) -> Result<AsyncTask<CollectiveTask>> {
    let comm = communicator()?;
    let values = values.to_vec();
    Ok(task(Box::new(move || comm.sum_f64(values, &what).map(|v| vec![f64_bytes(v)]))))
}

/// Tells the other ranks this one failed with `reason` (they stop with it); waits at most a second.
#[napi]
pub fn distribution_announce_failure(reason: String) {
    if let Some(comm) = distribution::joined() {
        comm.announce_failure(&reason);
    }
}

/// The first failure the job saw, if it is broken.
#[napi]
pub fn distribution_failure() -> Option<String> {
    distribution::joined().and_then(|c| c.failure())
}

/// Ranks on this host whose process has ended.
#[napi]
pub fn distribution_dead_peers() -> Vec<u32> {
    distribution::joined().map(|c| c.dead_local_peers().into_iter().map(|r| r as u32).collect()).unwrap_or_default()
}

/// Leaves MPI at a normal exit (nothing when it was never joined or the job is broken).
#[napi]
pub fn distribution_finalize() -> Result<()> {
    match distribution::joined() {
        Some(c) => c.finalize().map_err(to_js),
        None => Ok(()),
    }
}

#[napi]
impl NativeEngine {
    /// Makes this rank's weights, optimizer state and step count rank 0's.
    #[napi(ts_return_type = "Promise<Buffer[]>")]
    pub fn broadcast_state(&self) -> Result<AsyncTask<CollectiveTask>> {
        let engine = self.inner.clone();
        Ok(task(Box::new(move || distribution::broadcast_engine_state(&mut lock(&engine)).map(|()| Vec::new()))))
    }
}
