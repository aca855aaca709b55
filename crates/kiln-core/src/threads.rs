//! The rayon pool kiln's kernels run on: sized from the machine, `KILN_NUM_THREADS` overrides.
use crate::error::{KilnError, Result};
use std::sync::Once;

static INIT: Once = Once::new();

/// The most threads `KILN_NUM_THREADS` may ask for: more would only exhaust the process.
const MAX_THREADS: usize = 1024;

/// The pool size `KILN_NUM_THREADS` asks for (None when it is not set), or a ValueError when it
/// is not a whole number of threads.
pub fn configured_threads() -> Result<Option<usize>> {
    let value = match std::env::var("KILN_NUM_THREADS") {
        Err(std::env::VarError::NotPresent) => return Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => return Err(KilnError::value(format!("KILN_NUM_THREADS must be a positive integer (the number of threads kiln's kernels use), got {v:?}"))),
        Ok(v) => v,
    };
    parse_thread_count(&value).map(Some)
}

/// The rule for `KILN_NUM_THREADS`: decimal digits only, 1 to MAX_THREADS.
fn parse_thread_count(value: &str) -> Result<usize> {
    let count = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) { value.parse::<usize>().ok() } else { None };
    match count {
        Some(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(KilnError::value(format!("KILN_NUM_THREADS must be a positive integer no larger than {MAX_THREADS} (the number of threads kiln's kernels use), got '{value}'"))),
    }
}

pub fn init() {
    INIT.call_once(|| {
        // The binding refuses a bad setting when it loads; a Rust program using kiln-core alone gets the default.
        let n = configured_threads().ok().flatten().unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        // Fails only if a pool already exists (another library built it): use that one.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    });
}

pub fn num_threads() -> usize {
    init();
    rayon::current_num_threads()
}

/// Runs `f` on a pool thread. The kernels' parallel loops inside it then split work with that
/// thread, instead of each loop waking the pool from outside and waiting for it.
pub fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    init();
    rayon::scope(|_| f())
}

/// Runs `work(0)` .. `work(parts - 1)` in parallel and returns when all are done; a panic in a
/// part is raised here once every part has finished. On a pool thread (the engine's steps) the
/// parts go to rayon, whose other workers steal them for a few microseconds. From outside the
/// pool (an eager op on the JavaScript thread) rayon would inject them and wake a sleeping worker,
/// 20-30 us a split (`cargo bench -p kiln-core --bench gemm -- sweep`): there they go through the
/// hand-off board instead, see `handoff`.
pub fn fork_join(parts: usize, work: impl Fn(usize) + Sync) {
    init();
    if parts <= 1 {
        return (0..parts).for_each(&work);
    }
    if rayon::current_thread_index().is_none() && handoff::split(parts, &work) {
        return;
    }
    let work = &work;
    rayon::in_place_scope(|scope| {
        for part in 1..parts {
            scope.spawn(move |_| work(part));
        }
        work(0);
    });
}

/// Splits from outside the pool, handed to pool threads that stay awake for a while after each.
///
/// A split is posted on one board: its parts are claimed one at a time, by the caller and by pool
/// threads watching the board, so the caller never waits for a part nobody has started, and a
/// worker that is slow to come only leaves it more to do. After a part a pool thread keeps
/// watching (spinning with `spin_loop` hints) for `LINGER`, so back-to-back products, as a loop of
/// eager matmuls makes them, hand over in about a microsecond, as OpenBLAS's spinning workers do;
/// then it goes back to rayon, which parks it: an idle Node process burns no CPU after at most
/// `LINGER`. While watching it still runs the pool's queued jobs (`rayon::yield_now`), so an
/// engine step that starts meanwhile is not left one thread short. The cost: a pool thread that
/// takes up a watch while it waits inside a rayon join (an engine step, e.g. an async predict,
/// running beside eager products) comes back to that join up to `LINGER` late.
mod handoff {
    use std::any::Any;
    use std::cell::Cell;
    use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
    use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};
    use std::sync::Mutex;
    use std::thread::Thread;
    use std::time::{Duration, Instant};

    /// How long a pool thread watches the board after its last part. Long enough to bridge the
    /// gap between two eager products (a few microseconds of JavaScript and N-API), short enough
    /// that a server between requests spins for no measurable time (a Node process idle after 200
    /// eager 256^3 products: 1.3 ms of CPU a second, as with rayon's own parking).
    const LINGER: Duration = Duration::from_micros(200);

    /// On a loaded machine a watcher that spins has used up its fair share of a core by the time
    /// it gets a part, so the scheduler runs it behind the other processes there and the caller
    /// waits for it (measured: eager n256 products at half the one-thread speed, four builds
    /// running); a parked thread that is woken runs first. So after a split whose helper finished
    /// its part more than the caller's own time after the caller (half as fast), watchers go
    /// back to rayon at once after their parts for this many splits.
    const CONTENDED_SPLITS: u32 = 256;

    /// How long the caller spins for parts still running elsewhere before it parks: longer than
    /// the skew between two halves of a product on a quiet machine, short against a time slice
    /// lost to another process on a loaded one.
    const CALLER_SPIN: Duration = Duration::from_micros(50);

    /// The most parts the board takes (16 bits of `Board::state`); more go through rayon.
    const MAX_PARTS: usize = 0xFFFF;

    type Work<'a> = &'a (dyn Fn(usize) + Sync);

    /// The split being handed out. `state` holds the split's number (high 32 bits), its number
    /// of parts (16 bits) and its next unclaimed part (low 16 bits), in one word so that a claim
    /// reads the count of the split it advances: a thread claims a part by advancing the word,
    /// which fails if another split has been posted since, so it never runs a stale one (with the
    /// count apart, a thread could read a new split's count against the old split's word).
    struct Board {
        state: AtomicU64,
        /// Points at the caller's `Work` (on its stack while the split runs).
        work: AtomicPtr<()>,
        /// Parts finished, by anyone.
        done: AtomicUsize,
        /// The first panic of a part, raised by the caller.
        panic: Mutex<Option<Box<dyn Any + Send>>>,
        /// A caller owns the board (another caller, e.g. a second JavaScript worker, goes through rayon).
        busy: AtomicBool,
        /// Pool threads summoned to the board and not yet gone back to rayon.
        watchers: AtomicUsize,
        /// Splits left before watchers spin again after one whose helper lagged.
        contended: AtomicU32,
        /// The thread that posted the split, to unpark when its last part is done.
        caller: Mutex<Option<Thread>>,
    }

    static BOARD: Board = Board {
        state: AtomicU64::new(0),
        work: AtomicPtr::new(std::ptr::null_mut()),
        done: AtomicUsize::new(0),
        panic: Mutex::new(None),
        busy: AtomicBool::new(false),
        watchers: AtomicUsize::new(0),
        contended: AtomicU32::new(0),
        caller: Mutex::new(None),
    };

    thread_local! {
        /// This thread is already watching the board (a watch job run from inside another's wait).
        static WATCHING: Cell<bool> = const { Cell::new(false) };
    }

    /// Runs the split through the board; false (nothing run) when another caller holds it.
    pub(super) fn split(parts: usize, work: &(dyn Fn(usize) + Sync)) -> bool {
        if parts > MAX_PARTS || BOARD.busy.swap(true, Acquire) {
            return false;
        }
        let work: Work = work;
        *BOARD.caller.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::thread::current());
        BOARD.work.store(&work as *const Work as *mut (), Relaxed);
        BOARD.done.store(0, Relaxed);
        let number = (BOARD.state.load(Relaxed) >> 32).wrapping_add(1) & 0xFFFF_FFFF;
        BOARD.state.store(number << 32 | (parts as u64) << 16, SeqCst);
        // One helper per part beyond the caller's, up to the pool's other threads; those still
        // watching take theirs at once, the rest are woken through rayon. (SeqCst against
        // `watch`'s exit: either it sees this split, or this sees it gone and summons another.)
        let wanted = (parts - 1).min(super::num_threads().saturating_sub(1));
        let watching = BOARD.watchers.load(SeqCst);
        for _ in watching..wanted {
            BOARD.watchers.fetch_add(1, SeqCst);
            rayon::spawn(watch);
        }
        let started = Instant::now();
        while run_a_part() {}
        let (own, mut spins) = (started.elapsed(), 0u32);
        while BOARD.done.load(Acquire) < parts {
            // The parts left are running on other threads: wait for them without a syscall for
            // `CALLER_SPIN`, then parked (the thread finishing the last part unparks this one),
            // so that a helper sharing this core with the caller is not slowed by its spinning.
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(64) {
                std::hint::spin_loop();
            } else if started.elapsed() - own > CALLER_SPIN {
                std::thread::park_timeout(Duration::from_millis(1));
            }
        }
        // A part finishing more than the caller's own time (and 100 us, more than one uneven
        // block of a small product) after them ran on a core shared with another process:
        // watchers stop spinning for a while (see `CONTENDED_SPLITS`).
        let lagged = started.elapsed() - own > own.max(Duration::from_micros(100));
        let _ = BOARD.contended.fetch_update(Relaxed, Relaxed, |left| if lagged { Some(CONTENDED_SPLITS) } else { left.checked_sub(1) });
        BOARD.work.store(std::ptr::null_mut(), Relaxed);
        let panic = BOARD.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
        BOARD.busy.store(false, Release);
        if let Some(payload) = panic {
            resume_unwind(payload);
        }
        true
    }

    /// Claims and runs one part of the posted split; false when none is left.
    fn run_a_part() -> bool {
        let state = BOARD.state.load(SeqCst);
        let work = BOARD.work.load(Relaxed);
        let (parts, part) = ((state >> 16 & MAX_PARTS as u64) as usize, (state & MAX_PARTS as u64) as usize);
        if part >= parts || work.is_null() || BOARD.state.compare_exchange(state, state + 1, AcqRel, Relaxed).is_err() {
            return false;
        }
        // SAFETY: the claim succeeded, so `work` belongs to the split still posted, whose caller
        // waits (keeping its `Work` alive) until this part counts as done.
        let work = unsafe { *(work as *const Work) };
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| work(part))) {
            BOARD.panic.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(payload);
        }
        if BOARD.done.fetch_add(1, Release) + 1 == parts {
            // The caller may be parked waiting for this part (an unpark of a thread that has
            // moved on only makes one later park of it return early).
            if let Some(caller) = BOARD.caller.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                caller.unpark();
            }
        }
        true
    }

    /// A pool thread's watch over the board, run as a rayon job: parts as they come, the pool's
    /// queued jobs meanwhile, until `LINGER` passes with nothing to do.
    fn watch() {
        if !WATCHING.with(|w| w.replace(true)) {
            let mut deadline = Instant::now() + LINGER;
            let mut spins = 0u32;
            loop {
                if run_a_part() {
                    deadline = Instant::now() + LINGER;
                    continue;
                }
                spins = spins.wrapping_add(1);
                if !spins.is_multiple_of(64) {
                    std::hint::spin_loop();
                    continue;
                }
                if rayon::yield_now() == Some(rayon::Yield::Executed) {
                    deadline = Instant::now() + LINGER;
                } else if Instant::now() >= deadline || BOARD.contended.load(Relaxed) > 0 {
                    break;
                } else {
                    // Nothing to do: let a thread waiting for this core run (on a loaded machine
                    // the caller itself); on an idle core this returns at once.
                    std::thread::yield_now();
                }
            }
            WATCHING.with(|w| w.set(false));
        }
        BOARD.watchers.fetch_sub(1, SeqCst);
        // A split posted while leaving: its caller may have counted this thread as watching.
        while run_a_part() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_counts_must_be_positive_integers() {
        assert_eq!(parse_thread_count("1").unwrap(), 1);
        assert_eq!(parse_thread_count("16").unwrap(), 16);
        for bad in ["", "0", "-2", "+2", "2.5", " 2", "two", "1e3", "99999999999999999999999", "1025"] {
            let e = parse_thread_count(bad).unwrap_err();
            assert!(e.message.contains("KILN_NUM_THREADS must be a positive integer") && e.message.contains(&format!("got '{bad}'")), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn fork_join_runs_every_part_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // Past 16 bits of parts a split from outside the pool goes through rayon.
        for parts in [0, 1, 2, 5, 0x10001] {
            let runs: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
            fork_join(parts, |p| {
                runs[p].fetch_add(1, Ordering::Relaxed);
            });
            assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1), "{parts} parts");
            // Inside the pool too (the engine's products run there).
            run(|| {
                fork_join(parts, |p| {
                    runs[p].fetch_add(1, Ordering::Relaxed);
                })
            });
            assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 2), "{parts} parts in the pool");
        }
    }

    #[test]
    fn a_panicking_part_reaches_the_caller_after_every_part_ran() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        for in_pool in [false, true] {
            for bad in [0, 1, 3] {
                let runs = AtomicUsize::new(0);
                let split = || {
                    fork_join(4, |p| {
                        runs.fetch_add(1, Ordering::Relaxed);
                        assert!(p != bad, "part {p} fails");
                    })
                };
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| if in_pool { run(split) } else { split() }));
                let message = result.expect_err("the panic is raised").downcast::<String>().map(|m| *m).unwrap_or_default();
                assert_eq!(message, format!("part {bad} fails"), "in pool {in_pool}");
                assert_eq!(runs.load(Ordering::Relaxed), 4, "in pool {in_pool}, part {bad} failing");
            }
        }
        // The board is free again afterwards.
        let runs = AtomicUsize::new(0);
        fork_join(3, |_| {
            runs.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(runs.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn splits_from_several_outside_threads_at_once_each_run_every_part_once() {
        // One caller holds the hand-off board, the others go through rayon; many back-to-back
        // splits exercise the claims racing the pool threads that watch the board.
        use std::sync::atomic::{AtomicUsize, Ordering};
        std::thread::scope(|s| {
            for caller in 0..3 {
                s.spawn(move || {
                    for round in 0..2000 {
                        let parts = 1 + (round + caller) % 4;
                        let runs: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
                        fork_join(parts, |p| {
                            runs[p].fetch_add(1, Ordering::Relaxed);
                        });
                        assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1), "caller {caller} round {round}");
                    }
                });
            }
        });
    }
}
