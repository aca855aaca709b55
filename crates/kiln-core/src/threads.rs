//! The rayon pool kiln's kernels run on: sized from the machine, `KILN_NUM_THREADS` overrides.
use std::sync::Once;

static INIT: Once = Once::new();

pub fn init() {
    INIT.call_once(|| {
        let n = std::env::var("KILN_NUM_THREADS").ok().and_then(|v| v.parse::<usize>().ok()).filter(|&n| n > 0).unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
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
