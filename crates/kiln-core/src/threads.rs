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

/// Runs `work(0)` .. `work(parts - 1)` in parallel, part 0 on the calling thread: from outside the
/// pool (an eager op on the JavaScript thread) only the other parts cross to pool threads, so a
/// two-part split wakes one worker instead of two and the caller is not left waiting idle.
pub fn fork_join(parts: usize, work: impl Fn(usize) + Sync) {
    init();
    let work = &work;
    rayon::in_place_scope(|scope| {
        for part in 1..parts {
            scope.spawn(move |_| work(part));
        }
        if parts > 0 {
            work(0);
        }
    });
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
        for parts in [0, 1, 2, 5] {
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
}
