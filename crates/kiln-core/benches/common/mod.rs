//! What the kernel benches share: a timer that reports the median of repeated runs (medians
//! resist the noise of a shared machine better than means), and random inputs.
// Each bench uses a part of this module.
#![allow(dead_code)]
use kiln_core::rng::Rng;
use std::time::Instant;

/// Median seconds of one call of `f`, after one warm-up call, over at least `MIN_RUNS` runs
/// and about `BUDGET_S` seconds. With KILN_BENCH_CLOCK=cpu (Linux) the seconds are the
/// process's CPU time, which a loaded machine's preemption does not inflate: use it with
/// KILN_NUM_THREADS=1 (more threads add their idle spinning).
pub fn median_seconds(mut f: impl FnMut()) -> f64 {
    const MIN_RUNS: usize = 5;
    const BUDGET_S: f64 = 0.4;
    let cpu = std::env::var("KILN_BENCH_CLOCK").is_ok_and(|v| v == "cpu");
    let clock = || if cpu { cpu_seconds() } else { wall_seconds() };
    f();
    let started = Instant::now();
    let mut times = Vec::new();
    while times.len() < MIN_RUNS || (started.elapsed().as_secs_f64() < BUDGET_S && times.len() < 10_000) {
        let t = clock();
        f();
        times.push(clock() - t);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn wall_seconds() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

#[cfg(target_os = "linux")]
fn cpu_seconds() -> f64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
    }
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec, which `t` is (64-bit Linux layout).
    unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.sec as f64 + t.nsec as f64 * 1e-9
}

#[cfg(not(target_os = "linux"))]
fn cpu_seconds() -> f64 {
    wall_seconds()
}

/// Prints one line: the median time and the rate, in GFLOP/s for `flops`, GB/s for `bytes`.
pub enum Work {
    Flops(f64),
    Bytes(f64),
}

pub fn report(name: &str, work: Work, seconds: f64) {
    let rate = match work {
        Work::Flops(f) => format!("{:8.1} GFLOP/s", f / seconds / 1e9),
        Work::Bytes(b) => format!("{:8.1} GB/s   ", b / seconds / 1e9),
    };
    println!("{name:52} {rate} {:10.1} us", seconds * 1e6);
}

/// Times `f` and prints its line; returns the median seconds.
pub fn bench(name: &str, work: Work, f: impl FnMut()) -> f64 {
    let seconds = median_seconds(f);
    report(name, work, seconds);
    seconds
}

pub fn random(n: usize, rng: &mut Rng, scale: f32) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(-scale, scale)).collect()
}

/// Whether the command line (`cargo bench --bench x -- words`) asks for section `name`: yes
/// when it names none of `sections`.
pub fn wanted(name: &str, sections: &[&str]) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    !args.iter().any(|a| sections.contains(&a.as_str())) || args.iter().any(|a| a == name)
}
