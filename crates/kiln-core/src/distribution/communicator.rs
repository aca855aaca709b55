//! The processes of one MPI job, and every collective kiln runs over them. Each collective is
//! nonblocking and polled: while waiting, a rank reads the fault messages other ranks send when
//! they fail, watches the processes of its peers on the same host, and gives up after a
//! deadline, so a failed or stuck rank stops the others with an error naming it, never a hang.
use super::mpi::{DataType, Mpi, ReduceOp, Request};
use crate::error::{KilnError, Result};
use std::ffi::{c_char, c_int};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The tag of the message a failing rank sends every other rank.
const FAULT_TAG: c_int = 0x6b69;
/// How often a waiting rank checks that its peers on this host are still alive.
const LIVENESS_INTERVAL: Duration = Duration::from_millis(200);
/// How long a failing rank waits for its fault messages to leave.
const FAULT_SEND_WAIT: Duration = Duration::from_secs(1);

/// A rank's process: its host and process id.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    pub host: String,
    pub pid: u32,
}

pub struct Communicator {
    mpi: Mutex<Mpi>,
    pub rank: usize,
    pub size: usize,
    pub peers: Vec<Peer>,
    timeout: Mutex<Duration>,
    /// The first failure seen: later collectives are refused with it (the job is broken).
    failure: Mutex<Option<String>>,
}

extern "C" {
    fn gethostname(name: *mut c_char, len: usize) -> c_int;
    fn kill(pid: c_int, signal: c_int) -> c_int;
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn host_name() -> String {
    let mut buf = [0 as c_char; 256];
    // SAFETY: gethostname writes at most buf.len() bytes.
    if unsafe { gethostname(buf.as_mut_ptr(), buf.len()) } != 0 {
        return "unknown".into();
    }
    let bytes: Vec<u8> = buf.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Whether process `pid` on this host has ended (signal 0 probes without sending).
fn process_gone(pid: u32) -> bool {
    // SAFETY: kill with signal 0 only checks that the process exists.
    let failed = unsafe { kill(pid as c_int, 0) } != 0;
    failed && std::io::Error::last_os_error().raw_os_error() == Some(3)
}

impl Communicator {
    /// Initializes MPI and learns every rank's host and process id.
    pub fn join() -> Result<Communicator> {
        let mpi = Mpi::load()?;
        let (rank, size) = (mpi.rank()?, mpi.size()?);
        let mut comm = Communicator { mpi: Mutex::new(mpi), rank, size, peers: Vec::new(), timeout: Mutex::new(Duration::from_secs(120)), failure: Mutex::new(None) };
        let me = format!("{}\t{}", host_name(), std::process::id());
        comm.peers = comm
            .allgather_bytes(me.into_bytes(), "joining the job")?
            .into_iter()
            .map(|b| {
                let text = String::from_utf8_lossy(&b).into_owned();
                let (host, pid) = text.split_once('\t').unwrap_or((&text, "0"));
                Peer { host: host.to_string(), pid: pid.parse().unwrap_or(0) }
            })
            .collect();
        Ok(comm)
    }

    pub fn library_version(&self) -> String {
        lock(&self.mpi).version()
    }

    pub fn library(&self) -> String {
        lock(&self.mpi).library.clone()
    }

    pub fn set_timeout(&self, timeout: Duration) {
        *lock(&self.timeout) = timeout;
    }

    /// The error of an earlier failure, if the job is broken.
    pub fn failure(&self) -> Option<String> {
        lock(&self.failure).clone()
    }

    fn usable(&self) -> Result<()> {
        match self.failure() {
            Some(f) => Err(KilnError::runtime(format!("The distributed job has already failed: {f}"))),
            None => Ok(()),
        }
    }

    fn broken(&self, message: String) -> KilnError {
        lock(&self.failure).get_or_insert_with(|| message.clone());
        KilnError::runtime(message)
    }

    /// Ranks on this host whose process has ended.
    pub fn dead_local_peers(&self) -> Vec<usize> {
        let host = &self.peers.get(self.rank).map(|p| p.host.clone()).unwrap_or_default();
        self.peers.iter().enumerate().filter(|(r, p)| *r != self.rank && &p.host == host && p.pid != 0 && process_gone(p.pid)).map(|(r, _)| r).collect()
    }

    fn describe(&self, rank: usize) -> String {
        match self.peers.get(rank) {
            Some(p) => format!("rank {rank} (pid {} on {})", p.pid, p.host),
            None => format!("rank {rank}"),
        }
    }

    /// Polls `req` until it completes; a fault message, a dead peer or the deadline ends the wait with an error.
    fn wait(&self, mut req: Request, what: &str) -> Result<()> {
        let started = Instant::now();
        let timeout = *lock(&self.timeout);
        let mut next_liveness = started + LIVENESS_INTERVAL;
        let mut polls = 0u32;
        loop {
            {
                let mpi = lock(&self.mpi);
                if mpi.test(&mut req)? {
                    return Ok(());
                }
                if let Some((source, bytes)) = mpi.try_receive(FAULT_TAG)? {
                    let reason = String::from_utf8_lossy(&bytes).into_owned();
                    return Err(self.broken(format!("{} failed: {reason}. Rank {} stopped while {what}", self.describe(source), self.rank)));
                }
            }
            let now = Instant::now();
            if now >= next_liveness {
                next_liveness = now + LIVENESS_INTERVAL;
                let dead = self.dead_local_peers();
                if !dead.is_empty() {
                    let names: Vec<String> = dead.iter().map(|&r| self.describe(r)).collect();
                    return Err(self.broken(format!("{} ended without finishing (killed or crashed). Rank {} stopped while {what}", names.join(" and "), self.rank)));
                }
            }
            if now - started > timeout {
                return Err(self.broken(format!(
                    "No answer from the other ranks for {} s while {what} (rank {} of {}): a rank is stuck or gone. Raise DataParallel's `timeout` if a rank legitimately works that long alone",
                    timeout.as_secs_f64(),
                    self.rank,
                    self.size
                )));
            }
            polls += 1;
            // Spin briefly (a step's collective usually completes fast), then back off.
            if polls < 2000 {
                std::hint::spin_loop();
            } else if polls < 4000 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
    }

    /// Runs one nonblocking collective on `buf` and waits; on failure the buffer is leaked,
    /// since MPI may still write into it.
    fn collective<T>(&self, mut buf: Vec<T>, what: &str, start: impl FnOnce(&Mpi, &mut Vec<T>) -> Result<Request>) -> Result<Vec<T>> {
        self.usable()?;
        let req = start(&lock(&self.mpi), &mut buf)?;
        match self.wait(req, what) {
            Ok(()) => Ok(buf),
            Err(e) => {
                std::mem::forget(buf);
                Err(e)
            }
        }
    }

    /// Elementwise sum over all ranks.
    pub fn sum_f32(&self, buf: Vec<f32>, what: &str) -> Result<Vec<f32>> {
        self.collective(buf, what, |mpi, b| unsafe { mpi.iallreduce(b.as_mut_ptr().cast(), b.len(), DataType::F32, ReduceOp::Sum) })
    }

    pub fn sum_f64(&self, buf: Vec<f64>, what: &str) -> Result<Vec<f64>> {
        self.collective(buf, what, |mpi, b| unsafe { mpi.iallreduce(b.as_mut_ptr().cast(), b.len(), DataType::F64, ReduceOp::Sum) })
    }

    pub fn max_f64(&self, buf: Vec<f64>, what: &str) -> Result<Vec<f64>> {
        self.collective(buf, what, |mpi, b| unsafe { mpi.iallreduce(b.as_mut_ptr().cast(), b.len(), DataType::F64, ReduceOp::Max) })
    }

    /// Rank 0's values, on every rank (every rank passes a buffer of the same length).
    pub fn broadcast_f32(&self, buf: Vec<f32>, what: &str) -> Result<Vec<f32>> {
        self.collective(buf, what, |mpi, b| unsafe { mpi.ibcast(b.as_mut_ptr().cast(), b.len(), DataType::F32, 0) })
    }

    pub fn broadcast_bytes(&self, buf: Vec<u8>, what: &str) -> Result<Vec<u8>> {
        self.collective(buf, what, |mpi, b| unsafe { mpi.ibcast(b.as_mut_ptr().cast(), b.len(), DataType::Byte, 0) })
    }

    /// Every rank's bytes (of any length), in rank order.
    pub fn allgather_bytes(&self, mine: Vec<u8>, what: &str) -> Result<Vec<Vec<u8>>> {
        let len = i32::try_from(mine.len()).map_err(|_| KilnError::value("Too many bytes to gather"))?;
        let own = vec![len];
        let lengths = match self.collective(vec![0i32; self.size], what, |mpi, b| unsafe { mpi.iallgather_i32(own.as_ptr(), b.as_mut_ptr()) }) {
            Ok(lengths) => lengths,
            Err(e) => {
                std::mem::forget(own);
                return Err(e);
            }
        };
        let mut displacements = Vec::with_capacity(self.size);
        let mut total = 0i32;
        for &l in &lengths {
            displacements.push(total);
            total = total.checked_add(l).ok_or_else(|| KilnError::value("Too many bytes to gather"))?;
        }
        let out = match self.collective(vec![0u8; total as usize], what, |mpi, b| unsafe { mpi.iallgatherv_bytes(&mine, b.as_mut_ptr(), lengths.as_ptr(), displacements.as_ptr()) }) {
            Ok(out) => out,
            Err(e) => {
                // MPI may still read them: a failed request outlives this call.
                std::mem::forget((mine, lengths, displacements));
                return Err(e);
            }
        };
        Ok(displacements.iter().zip(&lengths).map(|(&d, &l)| out[d as usize..(d + l) as usize].to_vec()).collect())
    }

    /// Tells every other rank that this one failed (they stop with `reason`), then marks the job broken.
    pub fn announce_failure(&self, reason: &str) {
        if self.failure().is_some() {
            return;
        }
        let bytes = reason.as_bytes().to_vec();
        let mpi = lock(&self.mpi);
        let mut pending: Vec<Request> = (0..self.size).filter(|&r| r != self.rank).filter_map(|r| unsafe { mpi.isend_bytes(&bytes, r, FAULT_TAG) }.ok()).collect();
        let deadline = Instant::now() + FAULT_SEND_WAIT;
        while !pending.is_empty() && Instant::now() < deadline {
            pending.retain_mut(|req| !mpi.test(req).unwrap_or(true));
            std::thread::yield_now();
        }
        // Sends that have not left keep reading `bytes`.
        std::mem::forget(bytes);
        drop(mpi);
        lock(&self.failure).get_or_insert_with(|| format!("this rank ({}) failed: {reason}", self.rank));
    }

    /// Ends MPI at a normal exit; a broken job is left to mpirun (finalizing would wait for the failed ranks).
    pub fn finalize(&self) -> Result<()> {
        if self.failure().is_some() {
            return Ok(());
        }
        lock(&self.mpi).finalize()
    }

    /// Ends the whole job now (every rank), with `code`.
    pub fn abort(&self, code: i32) {
        lock(&self.mpi).abort(code)
    }
}
